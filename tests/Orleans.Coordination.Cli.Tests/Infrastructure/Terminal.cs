using System.Diagnostics;
using System.Text;

namespace Orleans.Coordination.Cli.Tests.Infrastructure;

/// <summary>
/// `coord` on a pseudo-terminal, through util-linux `script`, so that the shell sees a terminal and uses its
/// ReadKey line editor. Keys are written as the terminal would send them; the output (with escape sequences) is
/// collected for <see cref="WaitForAsync"/>.
/// </summary>
internal sealed class Terminal : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();
    private readonly Task _reader;
    private int _position;

    private Terminal(Process process)
    {
        _process = process;
        _reader = Task.Run(ReadAsync);
    }

    public static async Task<Terminal> StartAsync(params string[] coordArgs)
    {
        await Repository.EnsureBuiltAsync();
        var command = string.Join(' ', coordArgs.Prepend(Repository.CoordDll).Prepend("dotnet").Select(a => $"'{a.Replace("'", "'\\''", StringComparison.Ordinal)}'"));
        var psi = new ProcessStartInfo("script")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            WorkingDirectory = Repository.Root,
        };
        foreach (var a in new[] { "-q", "-e", "-c", command, "/dev/null" })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["TERM"] = "xterm";
        return new Terminal(Process.Start(psi) ?? throw new InvalidOperationException("cannot start script (util-linux)"));
    }

    public string Transcript
    {
        get
        {
            lock (_lock)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Writes keys: "\r" is Enter, "\u001b[A" up, "\u001b[D" left, "\u001b[3~" delete, "\u0001" Ctrl+A, "\t" Tab.</summary>
    public async Task SendAsync(string keys)
    {
        await _process.StandardInput.WriteAsync(keys);
        await _process.StandardInput.FlushAsync();
        await Task.Delay(50);
    }

    /// <summary>Waits until <paramref name="text"/> appears after the previous match; returns the output in between.</summary>
    public async Task<string> WaitForAsync(string text, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            lock (_lock)
            {
                var all = _output.ToString();
                var i = all.IndexOf(text, _position, StringComparison.Ordinal);
                if (i >= 0)
                {
                    var between = all[_position..i];
                    _position = i + text.Length;
                    return between;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{text}' did not appear within {timeoutSeconds}s; terminal output:\n{Printable(Transcript)}");
            }

            await Task.Delay(50);
        }
    }

    public async Task<int> WaitForExitAsync(int timeoutSeconds = 30)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        await _process.WaitForExitAsync(cts.Token);
        await _reader;
        return _process.ExitCode;
    }

    /// <summary>The output with escape characters made visible, for failure messages.</summary>
    public static string Printable(string text) => text.Replace("\u001b", "^[", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Repository.Kill(_process);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task ReadAsync()
    {
        var buffer = new char[4096];
        while (true)
        {
            var n = await _process.StandardOutput.ReadAsync(buffer);
            if (n == 0)
            {
                return;
            }

            lock (_lock)
            {
                _output.Append(buffer, 0, n);
            }
        }
    }
}
