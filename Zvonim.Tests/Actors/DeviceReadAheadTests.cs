using System.Text;
using Akka.Actor;
using Xunit.Abstractions;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Users;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Actors;

/// <summary>
/// A device socket's reader stops once <see cref="ReadAhead.Limit"/> of its messages are unhandled, so every message
/// it passes on must be given back, by the device or by the call's leg the device passed it to, however that leg ends.
/// One message never given back is a reader that stops early for good; 32 are a socket never read again.
/// </summary>
public sealed class DeviceReadAheadTests(ITestOutputHelper output) : VirtualTimeTestKit(output)
{
    private static DeviceSignal Frame(string callId, int n) =>
        new(callId, new ClientSignal(SignalKind.IceCandidate, null, Encoding.UTF8.GetBytes($$"""{"n":{{n}}}""")));

    /// <summary>Answers and hang-ups are given back by the device; frames by the leg, which holds them until the call
    /// answers (here it refuses: the call does not exist), more than <see cref="ReadAhead.Limit"/> of them.</summary>
    [Fact]
    public void Answers_hang_ups_and_the_frames_a_leg_held_are_all_given_back_to_the_reader()
    {
        var calls = CreateTestProbe();
        var users = CreateTestProbe();
        var socket = CreateTestProbe();
        var readAhead = new ReadAhead();
        var device = Sys.ActorOf(DeviceActor.Props("anna", calls.Ref, users.Ref, new ProbeConnection(socket), new LegSettings(256), readAhead));
        void Read(object message)
        {
            readAhead.Told();
            device.Tell(message);
        }

        Read(new DeviceAnswer("call-1", Accept: false));
        Read(new DeviceHangUp("call-1"));
        Assert.Equal("call-1", calls.ExpectMsg<LeaveCall>().CallId);
        Assert.Equal("call-1", calls.ExpectMsg<LeaveCall>().CallId);

        // Frames for a call that does not exist: the first makes a leg, which holds them all until the call answers.
        for (var n = 0; n < 40; n++) Read(Frame("made-up", n));
        var attach = calls.ExpectMsg<AttachPeer>();
        Assert.Equal("made-up", attach.CallId);
        calls.LastSender.Tell(CallRefused.NotFound("made-up"));

        AwaitCondition(() => readAhead.IsCaughtUp, TimeSpan.FromSeconds(5));
        Assert.True(readAhead.WhenCaughtUp().IsCompleted);
    }

    [Fact]
    public void A_leg_let_go_with_frames_unhandled_gives_them_back_once_and_what_it_handles_afterwards_is_not_counted_again()
    {
        var readAhead = new ReadAhead();
        var leg = new LegConnection("call-1", new ProbeConnection(CreateTestProbe()), ActorRefs.Nobody, readAhead);
        for (var n = 0; n < ReadAhead.Limit; n++)
        {
            readAhead.Told();
            leg.Told();
        }
        Assert.False(readAhead.WhenCaughtUp().IsCompleted); // the reader waits
        leg.ClientMessageHandled();

        leg.Retire(); // the device lets the leg go: the 31 frames still in its mailbox will never be handled
        Assert.True(readAhead.IsCaughtUp);

        leg.ClientMessageHandled(); // the leg ran on a little while it stopped
        leg.Retire();
        readAhead.Told();
        Assert.False(readAhead.IsCaughtUp, "a late acknowledgement counted again would let a later message overtake");
    }

    /// <summary>A device that stops (its socket closed, or too many refusals) leaves messages it will never handle: its
    /// reader must not wait for them, or it would never read the client's close.</summary>
    [Fact]
    public async Task A_device_that_stops_lets_its_reader_read_on()
    {
        var readAhead = new ReadAhead();
        var device = Sys.ActorOf(DeviceActor.Props("anna", CreateTestProbe().Ref, CreateTestProbe().Ref, new ProbeConnection(CreateTestProbe()),
            new LegSettings(256), readAhead));
        for (var n = 0; n < ReadAhead.Limit; n++) readAhead.Told(); // read, and still on their way to the device
        var waiting = readAhead.WhenCaughtUp();
        Assert.False(waiting.IsCompleted);

        Watch(device);
        device.Tell(new SocketClosed("closed"));
        ExpectTerminated(device);
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(readAhead.WhenCaughtUp().IsCompleted);
    }
}
