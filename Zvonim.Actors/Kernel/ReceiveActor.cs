namespace Zvonim.Actors.Kernel;

/// <summary>
/// An actor whose behaviour is a list of typed handlers, registered in the constructor or in <see cref="Become"/>;
/// the first handler whose type and predicate match wins.
/// </summary>
public abstract class ReceiveActor : ActorBase
{
    private List<Handler> _handlers = [];

    private readonly record struct Handler(Type MessageType, Func<object, bool>? Predicate, Func<object, Task> Invoke);

    protected void Receive<T>(Action<T> handler, Predicate<T>? shouldHandle = null)
    {
        _handlers.Add(new Handler(typeof(T), Wrap(shouldHandle), message =>
        {
            handler((T)message);
            return Task.CompletedTask;
        }));
    }

    /// <summary>The actor takes no other message until the returned task completes.</summary>
    protected void ReceiveAsync<T>(Func<T, Task> handler, Predicate<T>? shouldHandle = null) =>
        _handlers.Add(new Handler(typeof(T), Wrap(shouldHandle), message => handler((T)message)));

    protected void ReceiveAny(Action<object> handler) =>
        _handlers.Add(new Handler(typeof(object), null, message =>
        {
            handler(message);
            return Task.CompletedTask;
        }));

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
            if (handler.MessageType.IsAssignableFrom(messageType) && (handler.Predicate is null || handler.Predicate(message)))
                return handler.Invoke(message);
        }
        return null;
    }

    private static Func<object, bool>? Wrap<T>(Predicate<T>? predicate) =>
        predicate is null ? null : message => predicate((T)message);
}
