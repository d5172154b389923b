using Akka.Actor;

namespace Zvonim.Actors.Users;

/// <summary>
/// One node's signed-in users: a <see cref="UserPresence"/> child per user who ever opened a socket, made on first
/// use and kept (a few hundred bytes per user). A cluster puts <see cref="Cluster.ShardedUsers"/> in its place.
/// </summary>
public sealed class UserDirectory : UntypedActor
{
    public const string Name = "users";

    public static Props Props() => ActorFactory.Props(() => new UserDirectory());

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case GetPresence get when Context.Child(get.UserId).IsNobody():
                Sender.Tell(new Presence(get.UserId, false), Self); // asking about someone does not make them a presence
                break;
            case IUserCommand command:
                var child = Context.Child(command.UserId);
                if (child.IsNobody()) child = Context.ActorOf(UserPresence.Props(command.UserId), command.UserId);
                child.Forward(command);
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
