using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Zvonim.Actors.Kernel;

/// <summary>
/// The root of a tree of actors. Top-level actors live under <c>/user</c>; every timer in the system (receive
/// timeouts, the scheduler, Ask) runs on the injected <see cref="System.TimeProvider"/>.
/// </summary>
public sealed class ActorSystem : IAsyncDisposable
{
    private readonly ILoggerFactory _loggers;
    private readonly ConcurrentDictionary<Type, ILogger> _actorLoggers = new();
    private readonly ILogger _deadLetterLog;
    private readonly ActorCell _guardian;
    private long _deadLetterCount;

    private ActorSystem(string name, TimeProvider time, ILoggerFactory loggers)
    {
        Name = name;
        TimeProvider = time;
        _loggers = loggers;
        _deadLetterLog = loggers.CreateLogger("Zvonim.Actors.DeadLetters");
        Scheduler = new TimerScheduler(time);
        DeadLetters = new DeadLetterRef(this);
        _guardian = new ActorCell(this, null, Props.Create(() => new GuardianActor()), ActorPath.Root(name).Child("user"));
        _guardian.Start();
    }

    public static ActorSystem Create(string name, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null) =>
        new(name, timeProvider ?? TimeProvider.System, loggerFactory ?? NullLoggerFactory.Instance);

    public string Name { get; }

    public TimeProvider TimeProvider { get; }

    public IScheduler Scheduler { get; }

    public IActorRef DeadLetters { get; }

    /// <summary>How many messages found no recipient since the system started.</summary>
    public long DeadLetterCount => Interlocked.Read(ref _deadLetterCount);

    public Task WhenTerminated => _guardian.Completion;

    public IActorRef ActorOf(Props props, string? name = null) => _guardian.ActorOf(props, name);

    public void Stop(IActorRef actor)
    {
        if (actor is LocalActorRef local) local.Cell.RequestStop();
    }

    /// <summary>Stops every actor, children before parents, and completes when all have stopped.</summary>
    public Task Terminate()
    {
        _guardian.RequestStop();
        return WhenTerminated;
    }

    public async ValueTask DisposeAsync() => await Terminate().ConfigureAwait(false);

    internal ILogger LoggerFor(Type actorType) =>
        _actorLoggers.GetOrAdd(actorType, static (type, factory) => factory.CreateLogger(type.FullName ?? type.Name), _loggers);

    internal void DeadLetter(object message, IActorRef? sender, IActorRef recipient)
    {
        Interlocked.Increment(ref _deadLetterCount);
        // The message's type only: contents may carry SDP or credentials.
        _deadLetterLog.LogInformation("Dead letter {MessageType} from {Sender} to {Recipient}",
            message.GetType().Name, sender?.Path.ToString() ?? "no sender", recipient.Path.ToString());
    }

    internal void PublishUnhandled(object message, IActorRef recipient) =>
        LoggerFor(typeof(ActorSystem)).LogDebug("Unhandled {MessageType} in {Recipient}", message.GetType().Name, recipient.Path.ToString());

    private sealed class GuardianActor : ActorBase
    {
        internal override Task? Receive(object message) => null;
    }

    private sealed class DeadLetterRef(ActorSystem system) : IInternalActorRef
    {
        public ActorPath Path { get; } = ActorPath.Root(system.Name).Child("deadLetters");

        public ActorSystem System => system;

        public void Tell(object message, IActorRef? sender)
        {
            if (message is DeadLetter dead) system.DeadLetter(dead.Message, dead.Sender, dead.Recipient);
            else system.DeadLetter(message, sender, this);
        }
    }
}
