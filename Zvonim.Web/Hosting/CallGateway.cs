using Zvonim.Actors.Telemetry;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Options;
using Zvonim.Actors.Calls;
using Zvonim.Actors.Rooms;
using Zvonim.Web.Errors;
using Zvonim.Web.Settings;

namespace Zvonim.Web.Hosting;

/// <summary>How HTTP endpoints of every dialect talk to the calls: one Ask, and one mapping of refusals to statuses.</summary>
public sealed class CallGateway(IRequiredActor<CallManager> calls, IOptions<ZvonimOptions> options)
{
    /// <summary>Asks the call manager; a call that does not answer in time becomes a 503, not a hung request.</summary>
    /// <param name="refusal">A dialect's own answer to some refusals (null: the usual one).</param>
    public async Task<(ICallReply? Reply, IResult? Error)> AskAsync(object command, CancellationToken cancellationToken,
        Func<CallRefused, IResult?>? refusal = null)
    {
        try
        {
            var reply = await calls.ActorRef.Ask<ICallReply>(command, options.Value.Signaling.RequestTimeout, cancellationToken);
            if (reply is not CallRefused refused) return (reply, null);
            ZvonimMetrics.Refusals.Add(1, new KeyValuePair<string, object?>("reason", refused.Reason.ToString()));
            return (null, refusal?.Invoke(refused) ?? Refused(refused));
        }
        catch (AskTimeoutException)
        {
            return (null, ApiError.Result(503, "unavailable", "The call did not answer in time; try again."));
        }
    }

    public static IResult Refused(CallRefused refused) => refused.Reason switch
    {
        Refusal.Full => ApiError.Result(409, "call_full", refused.Message),
        Refusal.Ended => ApiError.Result(410, "call_ended", refused.Message),
        Refusal.NotAParticipant => ApiError.Result(404, "unknown_peer", refused.Message),
        Refusal.AtCapacity => ApiError.Result(503, "server_busy", refused.Message),
        Refusal.Forbidden => ApiError.Result(403, "forbidden", refused.Message),
        Refusal.Busy or Refusal.Glare or Refusal.NotAnswered or Refusal.AnsweredElsewhere =>
            ApiError.Result(409, Zvonim.Actors.Peers.ErrorCodes.For(refused.Reason), refused.Message),
        _ => ApiError.Result(404, "not_found", refused.Message),
    };
}
