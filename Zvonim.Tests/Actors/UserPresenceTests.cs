using Akka.Actor;
using Xunit.Abstractions;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Rooms;
using Zvonim.Actors.Users;
using Zvonim.Tests.TestKit;

namespace Zvonim.Tests.Actors;

/// <summary>A user's line, held by one directed call at a time: what a new call finds when the call holding it is gone.</summary>
public sealed class UserPresenceTests(ITestOutputHelper output) : VirtualTimeTestKit(output)
{
    /// <summary>Stands where the node's calls are: the calls in <paramref name="live"/> answer as going on, any other
    /// is not found (in a cluster: it went with its node and has no record to come back from).</summary>
    private sealed class Calls : ReceiveActor
    {
        public Calls(ISet<string> live, DateTimeOffset now) =>
            Receive<GetCall>(get => Sender.Tell(live.Contains(get.CallId)
                ? new CallInfo(new RoomState(get.CallId, new RoomPolicy(), now).Snapshot())
                : CallRefused.NotFound(get.CallId)));
    }

    [Fact]
    public void A_line_held_by_a_call_that_is_no_more_goes_to_the_next_call_and_one_held_by_a_call_that_goes_on_is_busy()
    {
        var live = new HashSet<string>();
        Sys.ActorOf(Props.Create(() => new Calls(live, Time.GetUtcNow())), CallManager.Name);
        var anna = Sys.ActorOf(UserPresence.Props("anna"));

        anna.Tell(new ClaimLine("anna", "lost-call", "boris", Calling: true), TestActor);
        Assert.Equal("lost-call", ExpectMsg<LineClaimed>().CallId);

        // lost-call went with its node while it rang: nothing told the line. Anna calls Carol: the line is hers again.
        anna.Tell(new ClaimLine("anna", "new-call", "carol", Calling: true), TestActor);
        Assert.Equal("new-call", ExpectMsg<LineClaimed>().CallId);

        // new-call goes on: Dmitri calling Anna finds her busy with it.
        live.Add("new-call");
        anna.Tell(new ClaimLine("anna", "third-call", "dmitri", Calling: false), TestActor);
        var busy = ExpectMsg<LineBusy>();
        Assert.Equal(("third-call", "new-call", false), (busy.CallId, busy.HeldBy, busy.Glare));
    }
}
