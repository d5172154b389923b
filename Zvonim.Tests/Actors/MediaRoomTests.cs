using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using Zvonim.Actors.Media;
using Zvonim.Actors.Peers;
using Zvonim.Actors.Rooms;
using Zvonim.Tests.TestKit;
using ShardPassivate = Akka.Cluster.Sharding.Passivate;

namespace Zvonim.Tests.Actors;

/// <summary>
/// Seed 001's rooms as their sockets see them, on Akka.TestKit in virtual time: the cap, a session id bound to its user,
/// a dropped socket's seat kept for the grace, a newer socket with the same id taking the session over, and a room
/// that stops while a join is on its way to it. No media is made: these sessions never receive an offer.
/// </summary>
public sealed class MediaRoomTests(ITestOutputHelper output) : VirtualTimeTestKit(output)
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    private static MediaRoomSettings Settings(int capacity) =>
        new(capacity, Grace, () => throw new InvalidOperationException("these tests make no media"));

    /// <summary>A socket of <paramref name="user"/> in group 1's call, its client a probe; it joins as <paramref name="sessionId"/>.</summary>
    private (IActorRef Socket, TestProbe Client) Join(IActorRef rooms, string user, string sessionId)
    {
        var client = CreateTestProbe();
        var socket = Sys.ActorOf(MediaSocketActor.Props("group-1", user, rooms, new ProbeConnection(client)));
        socket.Tell(new SessionJoin(sessionId));
        return (socket, client);
    }

    /// <summary>The socket reaches a session: an answer with no offer of the server's to answer is refused by it.</summary>
    private static void AssertInSession(IActorRef socket, TestProbe client)
    {
        socket.Tell(new SessionAnswer("v=0\r\n"));
        Assert.Equal(ErrorCodes.BadMessage, client.ExpectMsg<ErrorEvent>().Code);
    }

    private static void AssertRefused(TestProbe client, string code, Refusal refusal)
    {
        Assert.Equal(code, client.ExpectMsg<ErrorEvent>().Code);
        var closed = client.ExpectMsg<ProbeConnection.Closed>();
        Assert.Equal((CloseReason.Refused, refusal), (closed.Reason, closed.Refusal));
    }

    /// <summary>What a client says before its room has answered the join waits in the socket's actor; the reader
    /// stops once <see cref="ReadAhead.Limit"/> messages wait, so a client cannot fill that stash without bound, and
    /// reads on once they have gone to the session, in order.</summary>
    [Fact]
    public void What_waits_for_the_rooms_answer_is_bounded_by_the_readers_read_ahead_and_goes_on_in_order()
    {
        var rooms = CreateTestProbe();
        var session = CreateTestProbe();
        var readAhead = new ReadAhead();
        var socket = Sys.ActorOf(MediaSocketActor.Props("group-1", "anna", rooms.Ref, new ProbeConnection(CreateTestProbe()), readAhead: readAhead));
        void Read(object message)
        {
            readAhead.Told();
            socket.Tell(message);
        }

        Read(new SessionJoin("a"));
        for (var n = 0; n < ReadAhead.Limit; n++) Read(new SessionAnswer($"v={n}"));
        Assert.Equal("a", rooms.ExpectMsg<JoinMediaRoom>().SessionId);
        Assert.False(readAhead.WhenCaughtUp().IsCompleted, "the reader waits while the room has not answered");

        socket.Tell(new MediaRoomJoined("group-1", "a", session.Ref));
        for (var n = 0; n < ReadAhead.Limit; n++) Assert.Equal($"v={n}", session.ExpectMsg<SessionAnswer>().Sdp);
        AwaitCondition(() => readAhead.IsCaughtUp, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_room_at_its_cap_refuses_the_next_socket_and_the_others_stay_in()
    {
        var rooms = Sys.ActorOf(MediaRooms.Props(Settings(capacity: 2)));
        var anna = Join(rooms, "anna", "a");
        var boris = Join(rooms, "boris", "b");
        AssertInSession(anna.Socket, anna.Client);
        AssertInSession(boris.Socket, boris.Client);

        var carol = Join(rooms, "carol", "c");
        AssertRefused(carol.Client, ErrorCodes.Full, Refusal.Full);
        AssertInSession(anna.Socket, anna.Client);
    }

    [Fact]
    public void A_session_id_is_its_user_s_another_user_is_refused_it_and_a_second_socket_of_the_same_user_takes_it_over()
    {
        var rooms = Sys.ActorOf(MediaRooms.Props(Settings(capacity: 10)));
        var phone = Join(rooms, "anna", "a");
        AssertInSession(phone.Socket, phone.Client);

        var boris = Join(rooms, "boris", "a");
        AssertRefused(boris.Client, ErrorCodes.Forbidden, Refusal.Forbidden);

        var laptop = Join(rooms, "anna", "a");
        AssertInSession(laptop.Socket, laptop.Client);
        Assert.Equal(CloseReason.Superseded, phone.Client.ExpectMsg<ProbeConnection.Closed>().Reason);
    }

    [Fact]
    public void A_dropped_socket_keeps_its_seat_for_the_grace_and_then_the_room_is_free_again()
    {
        var rooms = Sys.ActorOf(MediaRooms.Props(Settings(capacity: 1)));
        var anna = Join(rooms, "anna", "a");
        AssertInSession(anna.Socket, anna.Client);
        anna.Socket.Tell(new SocketClosed("the network went away"));

        // Someone else tries every virtual second: refused while the seat is held, in once the grace is over (the
        // session's timer starts when it sees the socket go, a moment after the drop, so a second or two later at most).
        var waited = TimeSpan.Zero;
        while (true)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            waited += TimeSpan.FromSeconds(1);
            var boris = Join(rooms, "boris", "b");
            boris.Socket.Tell(new SessionAnswer("v=0\r\n"));
            if (boris.Client.ExpectMsg<ErrorEvent>().Code == ErrorCodes.BadMessage) break; // in a session
            Assert.Equal(Refusal.Full, boris.Client.ExpectMsg<ProbeConnection.Closed>().Refusal);
            Assert.True(waited < Grace + TimeSpan.FromSeconds(10), "the dropped session still holds its seat 10 s after its grace");
        }
        Assert.True(waited >= Grace, $"the seat was free after {waited.TotalSeconds} s, before the grace");
    }

    [Fact]
    public void An_empty_room_asks_to_stop_and_sends_a_join_that_reaches_it_after_that_back_to_be_served_by_its_successor()
    {
        var parent = CreateTestProbe(); // the node's rooms, or the shard
        var rooms = CreateTestProbe();
        var room = parent.ChildActorOf(MediaRoomActor.Props("group-1", Settings(capacity: 10), rooms.Ref));
        var socket = CreateTestProbe();
        room.Tell(new JoinMediaRoom("group-1", "a", "anna", socket.Ref), socket.Ref);
        var session = socket.ExpectMsg<MediaRoomJoined>().Session;
        Watch(session);
        session.Tell(new SessionLeave(), socket.Ref);
        Assert.Equal(CloseReason.LeftCall, socket.ExpectMsg<CloseSocket>().Reason);
        ExpectTerminated(session);
        parent.ExpectMsg<ShardPassivate>();

        var late = CreateTestProbe();
        room.Tell(new JoinMediaRoom("group-1", "b", "boris", late.Ref), late.Ref);
        Assert.Equal("b", rooms.ExpectMsg<JoinMediaRoom>().SessionId);
        Assert.Equal(late.Ref, rooms.LastSender);
        late.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void One_user_holds_at_most_the_sessions_per_user_in_a_room_and_another_user_still_joins()
    {
        var rooms = Sys.ActorOf(MediaRooms.Props(Settings(capacity: 10) with { SessionsPerUser = 2 }));
        var phone = Join(rooms, "anna", "phone");
        var laptop = Join(rooms, "anna", "laptop");
        AssertInSession(phone.Socket, phone.Client);
        AssertInSession(laptop.Socket, laptop.Client);

        var third = Join(rooms, "anna", "tablet");
        AssertRefused(third.Client, ErrorCodes.Full, Refusal.Full);
        var boris = Join(rooms, "boris", "b");
        AssertInSession(boris.Socket, boris.Client);
        // A reconnect of a session she holds is not a new one.
        var phoneAgain = Join(rooms, "anna", "phone");
        AssertInSession(phoneAgain.Socket, phoneAgain.Client);
    }

    [Fact]
    public void A_socket_that_never_joins_and_a_session_that_never_offers_are_closed_after_the_inactivity_timeout()
    {
        var timeout = TimeSpan.FromSeconds(60);
        var rooms = Sys.ActorOf(MediaRooms.Props(Settings(capacity: 1) with { InactivityTimeout = timeout }));
        var idleClient = CreateTestProbe();
        var idle = Sys.ActorOf(MediaSocketActor.Props("group-1", "carol", rooms, new ProbeConnection(idleClient), joinTimeout: timeout));
        idle.Tell(new Identify(null), TestActor);
        ExpectMsg<ActorIdentity>(); // started, its timer armed at this virtual time (a loaded machine may start it late)
        var anna = Join(rooms, "anna", "a");
        AssertInSession(anna.Socket, anna.Client);

        Time.Advance(timeout - TimeSpan.FromSeconds(1));
        AssertInSession(anna.Socket, anna.Client); // still there a second before
        idleClient.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(CloseReason.CallEnded, idleClient.ExpectMsg<ProbeConnection.Closed>().Reason);
        Assert.Equal(CloseReason.CallEnded, anna.Client.FishForMessage<ProbeConnection.Closed>(_ => true).Reason);
        // Her seat, the room's only one, is free again: the room holds nobody who only joined.
        var boris = Join(rooms, "boris", "b");
        AssertInSession(boris.Socket, boris.Client);
    }
}
