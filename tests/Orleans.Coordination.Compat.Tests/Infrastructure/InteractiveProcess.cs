using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Orleans.Coordination.Compat.Tests.Infrastructure;

/// <summary>
/// A program driven line by line through stdin (zkCli.sh, cli_mt), whose output is matched as it arrives.
/// Killed, with its whole process tree, on dispose.
/// </summary>
public sealed class InteractiveProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly SemaphoreSlim _changed = new(0);
    private int _cursor;
    private bool _disposed;

    private InteractiveProcess(Process process, string command)
    {
        _process = process;
        Command = command;
    }

    public string Command { get; }

    /// <summary>Everything the program printed so far (stdout and stderr interleaved by line).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static InteractiveProcess Start(string fileName, params string[] arguments)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryPaths.RepositoryRoot,
        };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = psi };
        var interactive = new InteractiveProcess(process, fileName + " " + string.Join(' ', arguments));
        process.OutputDataReceived += (_, e) => interactive.Append(e.Data);
        process.ErrorDataReceived += (_, e) => interactive.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return interactive;
    }

    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>
    /// Waits until output printed after the previous match matches <paramref name="pattern"/>, and moves past it.
    /// Fails with the whole transcript when it does not appear in time.
    /// </summary>
    public async Task<Match> ExpectAsync(string pattern, TimeSpan? timeout = null)
    {
        var regex = new Regex(pattern, RegexOptions.Multiline);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            string text;
            lock (_output)
            {
                text = _output.ToString();
            }

            var match = regex.Match(text, _cursor);
            if (match.Success)
            {
                _cursor = match.Index + match.Length;
                return match;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new Xunit.Sdk.XunitException(
                    $"'{pattern}' did not appear within the time limit.\n$ {Command}\n--- output so far (cursor at {_cursor}) ---\n{text}");
            }

            await _changed.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Closes stdin, gives the program two seconds to exit, then kills it. Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
        }

        if (!_process.WaitForExit(TimeSpan.FromSeconds(2)))
        {
            ProcessRunner.Kill(_process);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        _changed.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Append(line).Append('\n');
        }

        _changed.Release();
    }
}
