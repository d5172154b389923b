using System.Buffers;
using System.Text.Json;
using Zvonim.Actors.Rooms;

namespace Zvonim.Web.Signaling;

/// <summary>Builds the server's own small JSON frames.</summary>
public static class EventWriter
{
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;

    public static byte[] Write<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer, state);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Error(string code, string message) => Write((code, message), static (w, s) =>
    {
        w.WriteString("type", "error");
        w.WriteString("error", s.code);
        w.WriteString("message", s.message);
    });

    public static string StatusName(CallStatus status) => status switch
    {
        CallStatus.Waiting => "waiting",
        CallStatus.Active => "active",
        _ => "ended",
    };
}
