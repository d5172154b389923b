namespace Zvonim.Actors.Kernel;

public sealed class AskTimeoutException(string message) : TimeoutException(message);

public static class AskExtensions
{
    /// <summary>
    /// Sends <paramref name="message"/> with a temporary reply address. Fails with <see cref="AskTimeoutException"/>
    /// when no reply comes within <paramref name="timeout"/> (on the system's clock), with the cause of a
    /// <see cref="Status.Failure"/> reply, or with <see cref="InvalidCastException"/> for a reply of another type.
    /// Late replies go to dead letters.
    /// </summary>
    public static Task<T> Ask<T>(this IActorRef target, object message, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var system = (target as IInternalActorRef)?.System
            ?? throw new InvalidOperationException($"Cannot ask {target.Path}: it belongs to no actor system");
        var promise = new PromiseActorRef<T>(system, target, message.GetType(), timeout, cancellationToken);
        target.Tell(message, promise);
        return promise.Task;
    }
}

internal sealed class PromiseActorRef<T> : IInternalActorRef
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ITimer _timer;
    private readonly CancellationTokenRegistration _cancellation;

    public PromiseActorRef(ActorSystem system, IActorRef target, Type questionType, TimeSpan timeout, CancellationToken cancellationToken)
    {
        System = system;
        Path = ActorPath.Root(system.Name).Child("temp").Child(Guid.NewGuid().ToString("N"));
        _timer = system.TimeProvider.CreateTimer(_ => Fail(new AskTimeoutException(
            $"Ask of {target.Path} with {questionType.Name} timed out after {timeout.TotalMilliseconds} ms")),
            null, timeout, Timeout.InfiniteTimeSpan);
        _cancellation = cancellationToken.Register(() => Complete(() => _completion.TrySetCanceled(cancellationToken)));
    }

    public ActorPath Path { get; }

    public ActorSystem System { get; }

    public Task<T> Task => _completion.Task;

    public void Tell(object message, IActorRef? sender)
    {
        var accepted = message switch
        {
            T reply => Complete(() => _completion.TrySetResult(reply)),
            Status.Failure failure => Fail(failure.Cause),
            _ => Fail(new InvalidCastException($"Ask expected a {typeof(T).Name} reply but got {message.GetType().Name}")),
        };
        if (!accepted) System.DeadLetter(message, sender, this);
    }

    private bool Fail(Exception cause) => Complete(() => _completion.TrySetException(cause));

    private bool Complete(Func<bool> complete)
    {
        if (!complete()) return false;
        _timer.Dispose();
        _cancellation.Dispose();
        return true;
    }
}
