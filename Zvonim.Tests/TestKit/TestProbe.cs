using System.Threading.Channels;
using Zvonim.Actors.Kernel;

namespace Zvonim.Tests.TestKit;

/// <summary>An actor reference whose mailbox the test reads: Akka.TestKit's <c>TestProbe</c>.</summary>
public sealed class TestProbe : IActorRef
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);

    private readonly Channel<(object Message, IActorRef? Sender)> _inbox = Channel.CreateUnbounded<(object, IActorRef?)>();
    private readonly ActorSystem _system;

    public TestProbe(ActorSystem system, string name)
    {
        _system = system;
        Path = new ActorPath(null, $"probe://{name}");
        // The probe watches through a small relay actor, so Terminated reaches it like any other message.
        _watcher = system.ActorOf(Props.Create(() => new WatchRelay(this)));
    }

    private readonly IActorRef _watcher;

    public ActorPath Path { get; }

    public IActorRef? LastSender { get; private set; }

    public void Tell(object message, IActorRef? sender) => _inbox.Writer.TryWrite((message, sender));

    /// <summary>Sends <paramref name="message"/> to <paramref name="target"/> with this probe as the sender.</summary>
    public void Send(IActorRef target, object message) => target.Tell(message, this);

    public void Reply(object message) =>
        (LastSender ?? throw new InvalidOperationException("Nothing received yet")).Tell(message, this);

    public void Watch(IActorRef subject) => _watcher.Tell(new WatchRelay.Watch(subject));

    public T ExpectMsg<T>(Func<T, bool>? predicate = null, TimeSpan? timeout = null)
    {
        var (message, sender) = Receive(timeout ?? DefaultTimeout, $"a {typeof(T).Name}");
        LastSender = sender;
        if (message is not T typed)
            throw new Xunit.Sdk.XunitException($"Expected a {typeof(T).Name} but got {message.GetType().Name}: {message}");
        if (predicate is not null && !predicate(typed))
            throw new Xunit.Sdk.XunitException($"The {typeof(T).Name} did not match: {message}");
        return typed;
    }

    /// <summary>Skips messages until one of type <typeparamref name="T"/> matches (useful where pushes interleave).</summary>
    public T FishForMessage<T>(Func<T, bool>? predicate = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var (message, sender) = Receive(left > TimeSpan.Zero ? left : TimeSpan.Zero, $"a matching {typeof(T).Name}");
            if (message is T typed && (predicate is null || predicate(typed)))
            {
                LastSender = sender;
                return typed;
            }
        }
    }

    public void ExpectNoMsg(TimeSpan? duration = null)
    {
        using var cts = new CancellationTokenSource(duration ?? TimeSpan.FromMilliseconds(200));
        try
        {
            var item = _inbox.Reader.ReadAsync(cts.Token).AsTask().GetAwaiter().GetResult();
            throw new Xunit.Sdk.XunitException($"Expected no message but got {item.Message.GetType().Name}: {item.Message}");
        }
        catch (OperationCanceledException)
        {
        }
    }

    public Terminated ExpectTerminated(IActorRef subject, TimeSpan? timeout = null) =>
        ExpectMsg<Terminated>(t => Equals(t.ActorRef, subject), timeout);

    private (object Message, IActorRef? Sender) Receive(TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return _inbox.Reader.ReadAsync(cts.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"Timed out after {timeout.TotalMilliseconds} ms waiting for {what} at {Path}");
        }
    }

    public override string ToString() => Path.ToString();

    private sealed class WatchRelay : ReceiveActor
    {
        public sealed record Watch(IActorRef Subject);

        public WatchRelay(TestProbe probe)
        {
            Receive<Watch>(w => Context.Watch(w.Subject));
            Receive<Terminated>(t => probe.Tell(t, t.ActorRef));
        }
    }
}
