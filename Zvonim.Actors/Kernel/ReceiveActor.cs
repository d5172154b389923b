namespace Zvonim.Actors.Kernel;

/// <summary>
/// An actor whose behaviour is a list of typed handlers, registered in the constructor or in <see cref="Become"/>;
/// the first handler whose type and predicate match wins.
/// </summary>
public abstract class ReceiveActor : ActorBase
{
    private List<Handler> _handlers = [];

    /// <summary>The caller's own delegates, untouched, with a shared static invoker per message type: a handler costs
    /// one entry here and no wrapper closures (a peer registers a couple of dozen, and a node holds tens of thousands).</summary>
    private readonly record struct Handler(Type MessageType, Delegate Body, Delegate? Predicate, Func<Delegate, Delegate?, object, Task?> Invoke);

    protected void Receive<T>(Action<T> handler, Predicate<T>? shouldHandle = null) =>
        _handlers.Add(new Handler(typeof(T), handler, shouldHandle, Invokers<T>.Sync));

    /// <summary>The actor takes no other message until the returned task completes.</summary>
    protected void ReceiveAsync<T>(Func<T, Task> handler, Predicate<T>? shouldHandle = null) =>
        _handlers.Add(new Handler(typeof(T), handler, shouldHandle, Invokers<T>.Async));

    protected void ReceiveAny(Action<object> handler) => Receive(handler);

    /// <summary>Replaces the whole behaviour: <paramref name="configure"/> registers the new handlers.</summary>
    protected void Become(Action configure)
    {
        _handlers = [];
        configure();
    }

    internal sealed override Task? Receive(object message)
    {
        var messageType = message.GetType();
        foreach (var handler in _handlers)
        {
            if (!ReferenceEquals(handler.MessageType, messageType) && !handler.MessageType.IsAssignableFrom(messageType)) continue;
            var result = handler.Invoke(handler.Body, handler.Predicate, message);
            if (result is not null) return result;
        }
        return null;
    }

    /// <summary>Null from an invoker means "the predicate said no": the search goes on.</summary>
    private static class Invokers<T>
    {
        public static readonly Func<Delegate, Delegate?, object, Task?> Sync = static (body, predicate, message) =>
        {
            var typed = (T)message;
            if (predicate is not null && !((Predicate<T>)predicate)(typed)) return null;
            ((Action<T>)body)(typed);
            return Task.CompletedTask;
        };

        public static readonly Func<Delegate, Delegate?, object, Task?> Async = static (body, predicate, message) =>
        {
            var typed = (T)message;
            if (predicate is not null && !((Predicate<T>)predicate)(typed)) return null;
            return ((Func<T, Task>)body)(typed);
        };
    }
}
