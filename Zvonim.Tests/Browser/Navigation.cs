using Microsoft.Playwright;

namespace Zvonim.Tests.Browser;

/// <summary>Waiting for a page to arrive somewhere, without Playwright's WaitForURLAsync.</summary>
public static class Navigation
{
    /// <summary>
    /// Waits until the page's path matches <paramref name="pathRegex"/> (a JavaScript regular expression tested on
    /// <c>location.pathname</c>). WaitForURLAsync checks the URL and then subscribes to navigations, so a navigation
    /// landing in between is missed and it times out on a page that is already there
    /// (microsoft/playwright-dotnet#3364); a polled condition is re-evaluated in each new document and cannot miss it.
    /// </summary>
    public static async Task WaitForPathAsync(this Participant participant, string pathRegex, TimeSpan? timeout = null)
    {
        try
        {
            await participant.Page.WaitForFunctionAsync("re => new RegExp(re).test(location.pathname)", pathRegex,
                new PageWaitForFunctionOptions
                {
                    Timeout = (float)(timeout ?? Participant.DefaultTimeout).TotalMilliseconds,
                    PollingInterval = 100,
                });
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{participant.Name}: the page never reached a path matching {pathRegex}; it is at {participant.Page.Url}.");
        }
    }
}
