using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Zvonim.Tests.TestKit;

/// <summary>Routes logs to xunit's per-test output, so a failing test shows what the actors said.</summary>
public sealed class XunitLoggerProvider(ITestOutputHelper? output) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new XunitLogger(output, categoryName);

    public void Dispose() { }

    private sealed class XunitLogger(ITestOutputHelper? output, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => output is not null;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try
            {
                output?.WriteLine($"{logLevel,-11} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
            }
            catch (InvalidOperationException)
            {
                // the test has already finished
            }
        }
    }
}
