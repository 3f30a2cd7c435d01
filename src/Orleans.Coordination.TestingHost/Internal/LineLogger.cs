using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Orleans.Coordination.TestingHost.Internal;

/// <summary>
/// Formats a silo's log records as single lines ("12:00:00.123 s2 info Category: message") and hands them to a sink:
/// the captured ring or a caller's writer such as xunit's ITestOutputHelper.WriteLine.
/// </summary>
internal sealed class LineLoggerProvider(int serverId, LogLevel minimumLevel, Action<string> sink) : ILoggerProvider
{
    private int ServerId { get; } = serverId;

    private LogLevel MinimumLevel { get; } = minimumLevel;

    private Action<string> Sink { get; } = sink;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LineLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider.MinimumLevel && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var line = string.Create(
                CultureInfo.InvariantCulture,
                $"{DateTime.UtcNow:HH:mm:ss.fff} s{provider.ServerId} {Short(logLevel)} {category}: {formatter(state, exception)}");
            if (exception is not null)
            {
                line += " | " + exception.GetType().Name + ": " + exception.Message;
            }

            try
            {
                provider.Sink(line);
            }
            catch (InvalidOperationException)
            {
                // xunit's output helper throws once its test has finished; a silo may still be logging while it stops.
            }
        }

        private static string Short(LogLevel level) => level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            _ => "crit",
        };
    }
}
