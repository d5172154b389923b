using Microsoft.Extensions.Logging;

namespace Zvonim.Actors.Kernel;

/// <summary>
/// One actor's runtime: its mailbox (<c>ActorCell.Mailbox.cs</c>), the turns that feed it one message at a time, its
/// children, watchers, receive timeout and supervision.
/// </summary>
internal sealed partial class ActorCell : IActorContext
{
    private Props? _props; // dropped at termination, with the instance: a stale ref must not keep what they hold alive
    private readonly ActorCell? _parent;
    private readonly Dictionary<string, ActorCell> _children = new(StringComparer.Ordinal);
    private readonly HashSet<IActorRef> _watchers = [];
    private readonly HashSet<IActorRef> _watching = [];
    private readonly TaskCompletionSource _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ActorBase? _actor;
    private IActorRef _sender = ActorRefs.Nobody;
    private volatile bool _stopRequested;
    private bool _isTerminated; // guarded by _watchers
    private int _anonymousChildren;

    // Receive timeout: one timer, not re-armed per message (that costs a timer-queue operation on every message).
    // Activity only moves _lastActivity; when the timer fires, the tick compares and either delivers ReceiveTimeout
    // or re-arms for the rest of the period. So a tick racing a new message never arrives early either.
    private TimeSpan? _receiveTimeout;
    private bool _receiveTimeoutChanged;
    private bool _receiveTimeoutArmed;
    private ITimer? _receiveTimeoutTimer;
    private long _lastActivity;

    public ActorCell(ActorSystem system, ActorCell? parent, Props props, ActorPath path)
    {
        System = system;
        _parent = parent;
        _props = props;
        Self = new LocalActorRef(this, path);
        Log = system.LoggerFor(props.ActorType);
    }

    public LocalActorRef Self { get; }

    IActorRef IActorContext.Self => Self;

    public IActorRef Sender => _sender;

    public IActorRef Parent => (IActorRef?)_parent?.Self ?? ActorRefs.Nobody;

    public ActorSystem System { get; }

    public ILogger Log { get; }

    public TimeSpan? ReceiveTimeout => _receiveTimeout;

    public Task Completion => _terminated.Task;

    public IEnumerable<IActorRef> Children
    {
        get
        {
            lock (_children) return _children.Values.Select(c => (IActorRef)c.Self).ToArray();
        }
    }

    /// <summary>Creates the actor instance and runs PreStart on the caller's thread, so that an actor is started when
    /// ActorOf returns (tests may advance virtual time right away); then starts the message loop.</summary>
    public void Start()
    {
        try
        {
            _actor = ActorBase.Construct(this, _props!);
            _actor.InvokePreStart();
            ArmReceiveTimeout(activity: false);
        }
        catch (Exception ex)
        {
            var failure = new ActorInitializationException($"{Self.Path}: could not be created", ex);
            Log.LogError(failure.InnerException, "Actor {ActorPath} failed to start and is stopped", Self.Path.ToString());
            _stopRequested = true;
        }
        OpenMailbox();
    }

    public void RequestStop()
    {
        _stopRequested = true;
        Post(new Envelope(StopSignal.Instance, null));
    }

    public IActorRef ActorOf(Props props, string? name = null)
    {
        name ??= "$" + Interlocked.Increment(ref _anonymousChildren).ToString(global::System.Globalization.CultureInfo.InvariantCulture);
        if (name.Length == 0 || name.Contains('/'))
            throw new InvalidActorNameException($"'{name}' is not a valid actor name");
        var child = new ActorCell(System, this, props, Self.Path.Child(name));
        lock (_children)
        {
            if (!_children.TryAdd(name, child))
                throw new InvalidActorNameException($"{Self.Path} already has a child named '{name}'");
        }
        child.Start();
        return child.Self;
    }

    public IActorRef Child(string name)
    {
        lock (_children) return _children.TryGetValue(name, out var child) ? child.Self : ActorRefs.Nobody;
    }

    public void Stop(IActorRef actor)
    {
        if (ReferenceEquals(actor, Self)) _stopRequested = true;
        else if (actor is LocalActorRef local) local.Cell.RequestStop();
    }

    public IActorRef Watch(IActorRef subject)
    {
        if (subject is LocalActorRef local && _watching.Add(subject)) local.Cell.AddWatcher(Self);
        return subject;
    }

    public IActorRef Unwatch(IActorRef subject)
    {
        if (subject is LocalActorRef local && _watching.Remove(subject)) local.Cell.RemoveWatcher(Self);
        return subject;
    }

    public void SetReceiveTimeout(TimeSpan? timeout)
    {
        _receiveTimeout = timeout is { } t && t > TimeSpan.Zero ? t : null;
        _receiveTimeoutChanged = true;
    }

    internal void AddWatcher(IActorRef watcher)
    {
        lock (_watchers)
        {
            if (!_isTerminated)
            {
                _watchers.Add(watcher);
                return;
            }
        }
        watcher.Tell(new Terminated(Self), Self);
    }

    internal void RemoveWatcher(IActorRef watcher)
    {
        lock (_watchers) _watchers.Remove(watcher);
    }

    private Task Process(Envelope envelope)
    {
        var message = envelope.Message;
        switch (message)
        {
            case StopSignal:
                return Task.CompletedTask;
            case PoisonPill:
                _stopRequested = true;
                return Task.CompletedTask;
            case ChildStopped stopped:
                lock (_children)
                {
                    if (_children.TryGetValue(stopped.Child.Self.Path.Name, out var current) && current == stopped.Child)
                        _children.Remove(stopped.Child.Self.Path.Name);
                }
                return Task.CompletedTask;
            case EscalatedFailure escalated:
                return HandleFailure(escalated.Cause, message);
            case ReceiveTimeoutTick:
                _receiveTimeoutArmed = false;
                if (_receiveTimeout is not { } timeout) return Task.CompletedTask;
                var idle = System.TimeProvider.GetElapsedTime(_lastActivity);
                if (idle < timeout)
                {
                    StartReceiveTimeoutTimer(timeout - idle);
                    return Task.CompletedTask;
                }
                message = Kernel.ReceiveTimeout.Instance;
                break;
            case Terminated terminated when !_watching.Remove(terminated.ActorRef):
                return Task.CompletedTask; // unwatched meanwhile: Akka drops it too
        }

        _sender = envelope.Sender ?? System.DeadLetters; // replies to "no sender" are counted, not lost silently
        Task? handling;
        try
        {
            handling = _actor!.Receive(message);
            if (handling is null) _actor.HandleUnhandled(message);
        }
        catch (Exception ex)
        {
            return HandleFailureThenContinue(ex, message);
        }
        if (handling is null || handling.IsCompletedSuccessfully)
        {
            AfterMessage(message);
            return Task.CompletedTask;
        }
        return AwaitHandler(handling, message);
    }

    private async Task AwaitHandler(Task handling, object message)
    {
        try
        {
            await handling.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await HandleFailure(ex, message).ConfigureAwait(false);
        }
        AfterMessage(message);
    }

    private async Task HandleFailureThenContinue(Exception ex, object message)
    {
        await HandleFailure(ex, message).ConfigureAwait(false);
        AfterMessage(message);
    }

    private void AfterMessage(object message)
    {
        // Sender is only valid while its message is handled; holding it after would keep a stopped sender's whole
        // actor (its socket included) alive for as long as this actor lives.
        _sender = ActorRefs.Nobody;
        ArmReceiveTimeout(activity: message is not INotInfluenceReceiveTimeout || message is ReceiveTimeout);
    }

    internal void ArmReceiveTimeout(bool activity)
    {
        if (!activity && !_receiveTimeoutChanged) return;
        var changed = _receiveTimeoutChanged;
        _receiveTimeoutChanged = false;
        if (_receiveTimeout is { } timeout)
        {
            _lastActivity = System.TimeProvider.GetTimestamp();
            if (changed || !_receiveTimeoutArmed) StartReceiveTimeoutTimer(timeout);
        }
        else if (_receiveTimeoutArmed)
        {
            _receiveTimeoutTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _receiveTimeoutArmed = false;
        }
    }

    private void StartReceiveTimeoutTimer(TimeSpan due)
    {
        _receiveTimeoutTimer ??= System.TimeProvider.CreateTimer(
            static state => ((ActorCell)state!).Post(new Envelope(ReceiveTimeoutTick.Instance, null)),
            this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _receiveTimeoutTimer.Change(due, Timeout.InfiniteTimeSpan);
        _receiveTimeoutArmed = true;
    }

    private async Task TerminateAsync()
    {
        _receiveTimeoutTimer?.Dispose();
        // A terminating actor hears no more Terminated (Akka): stop watching before the children go.
        foreach (var watched in _watching)
        {
            if (watched is LocalActorRef local) local.Cell.RemoveWatcher(Self);
        }
        _watching.Clear();
        ActorCell[] children;
        lock (_children) children = [.. _children.Values];
        foreach (var child in children) child.RequestStop();
        await Task.WhenAll(children.Select(c => c.Completion)).ConfigureAwait(false);

        try
        {
            _actor?.InvokePostStop();
        }
        catch (Exception ex)
        {
            Log.LogError(ex, "Actor {ActorPath} failed in PostStop", Self.Path.ToString());
        }
        // Refs to a stopped actor may live on (in messages, in other actors' maps); they keep only this shell.
        _actor = null;
        _props = null;
        _sender = ActorRefs.Nobody;

        foreach (var leftover in CloseMailbox())
        {
            if (leftover.Message is not IKernelMessage) System.DeadLetter(leftover.Message, leftover.Sender, Self);
        }

        IActorRef[] watchers;
        lock (_watchers)
        {
            _isTerminated = true;
            watchers = [.. _watchers];
            _watchers.Clear();
        }
        // The parent frees the name before any Terminated reaches it, so a Terminated handler may reuse the name.
        _parent?.Post(new Envelope(new ChildStopped(this), null));
        var terminated = new Terminated(Self);
        foreach (var watcher in watchers) watcher.Tell(terminated, Self);
        _terminated.TrySetResult();
    }

    public override string ToString() => Self.Path.ToString();
}

internal readonly record struct Envelope(object Message, IActorRef? Sender);

/// <summary>Messages the kernel sends itself; never shown to actors nor to dead letters.</summary>
internal interface IKernelMessage;

internal sealed class StopSignal : IKernelMessage
{
    public static readonly StopSignal Instance = new();
}

internal sealed class ReceiveTimeoutTick : IKernelMessage, INotInfluenceReceiveTimeout
{
    public static readonly ReceiveTimeoutTick Instance = new();
}

internal sealed record ChildStopped(ActorCell Child) : IKernelMessage;

internal sealed record EscalatedFailure(Exception Cause) : IKernelMessage;
