using Microsoft.Extensions.Logging;

namespace Zvonim.Actors.Kernel;

internal sealed partial class ActorCell
{
    /// <summary>
    /// The parent's strategy decides. Reading the parent's strategy from the child's thread is a kernel shortcut for
    /// Akka's round trip through system messages: strategies are immutable, so nothing observable changes.
    /// </summary>
    private async Task HandleFailure(Exception cause, object message)
    {
        var directive = _parent?._actor?.SupervisorStrategy.Decide(cause) ?? Directive.Stop;
        Log.LogError(cause, "Actor {ActorPath} failed on {MessageType}; supervisor says {Directive}",
            Self.Path.ToString(), message.GetType().Name, directive);
        switch (directive)
        {
            case Directive.Resume:
                return;
            case Directive.Restart:
                await RestartAsync(cause, message).ConfigureAwait(false);
                return;
            case Directive.Escalate:
                _stopRequested = true;
                _parent?.Post(new Envelope(new EscalatedFailure(cause), null));
                return;
            default:
                _stopRequested = true;
                return;
        }
    }

    private async Task RestartAsync(Exception cause, object message)
    {
        try
        {
            _actor?.InvokePreRestart(cause, message);
        }
        catch (Exception ex)
        {
            Log.LogError(ex, "Actor {ActorPath} failed in PreRestart", Self.Path.ToString());
        }
        ActorCell[] stopping;
        lock (_children) stopping = _children.Values.Where(c => c._stopRequested).ToArray();
        await Task.WhenAll(stopping.Select(c => c.Completion)).ConfigureAwait(false);
        lock (_children)
        {
            foreach (var child in stopping) _children.Remove(child.Self.Path.Name);
        }

        SetReceiveTimeout(null);
        _actor = null; // the failed instance has had its PostStop: never run it again
        try
        {
            _actor = ActorBase.Construct(this, _props!);
            _actor.InvokePostRestart(cause);
            ArmReceiveTimeout(activity: false);
        }
        catch (Exception ex)
        {
            Log.LogError(ex, "Actor {ActorPath} could not be restarted and is stopped", Self.Path.ToString());
            _stopRequested = true;
        }
    }
}
