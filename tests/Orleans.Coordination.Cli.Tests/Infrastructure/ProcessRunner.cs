using System.Diagnostics;
using System.Text;

namespace Orleans.Coordination.Cli.Tests.Infrastructure;

/// <summary>What a finished process printed and returned.</summary>
internal sealed record ProcessResult(string Command, int ExitCode, string Stdout, string Stderr, bool TimedOut)
{
    /// <summary>Lines of stdout without the trailing empty line.</summary>
    public string[] Lines => Stdout.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');

    public string Describe() =>
        $"$ {Command}\nexit code {ExitCode}{(TimedOut ? " (timed out, killed)" : "")}\n--- stdout ---\n{Stdout}--- stderr ---\n{Stderr}";
}

/// <summary>Runs a process to completion with optional stdin, a timeout (then the whole tree is killed) and captured output.</summary>
internal static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        string? stdin = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = Repository.Root,
        };
        foreach (var a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The process exited without reading all of its input.
        }

        var timedOut = false;
        using (var cts = new CancellationTokenSource(timeout))
        {
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                Repository.Kill(process);
                await process.WaitForExitAsync();
            }
        }

        var command = string.Join(' ', psi.ArgumentList.Prepend(fileName).Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a));
        return new ProcessResult(command, timedOut ? -1 : process.ExitCode, await stdout, await stderr, timedOut);
    }
}
