using System.Diagnostics;

namespace Zvonim.Tests.Web;

/// <summary>How the tests end a real component they started (coturn, nginx, PostgreSQL): the process and its
/// children killed, its scratch folder removed.</summary>
public static class ExternalProcess
{
    public static async Task StopAsync(Process process, string directory)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // already gone
        }
        process.Dispose();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // left in the temp folder
        }
    }
}
