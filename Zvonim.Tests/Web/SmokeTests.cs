using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Zvonim.Tests.Web;

public sealed class SmokeTests
{
    [Fact]
    public async Task Two_peers_exchange_an_offer_through_a_real_server()
    {
        await using var server = new ZvonimServer();
        using var http = server.Http();
        var created = (await (await http.PostAsync("/apiv2/calls", null)).Content.ReadFromJsonAsync<JsonObject>())!;
        var callId = (string)created["call_id"]!;
        var joined = (await (await http.PostAsync($"/apiv2/calls/{callId}/join", null)).Content.ReadFromJsonAsync<JsonObject>())!;

        await using var a = await WsClient.ConnectAsync(server.WebSocketUri($"/apiv2/ws?call_id={callId}&peer_id={created["peer_id"]}"));
        await a.ExpectAsync("state");
        await using var b = await WsClient.ConnectAsync(server.WebSocketUri($"/apiv2/ws?call_id={callId}&peer_id={joined["peer_id"]}"));
        await a.ExpectAsync("join");
        await a.SendTextAsync("""{"type":"offer","sdp":"v=0 fake"}""");
        var offer = await b.ExpectAsync("offer");
        Assert.Equal("v=0 fake", (string?)offer["sdp"]);
    }
}
