using System.Diagnostics;
using System.Text;

namespace Orleans.Coordination.Ensemble.Tests.Infrastructure;

/// <summary>Exit code and output of a finished command.</summary>
internal sealed record CommandResult(string Command, int ExitCode, string Stdout, string Stderr, bool TimedOut)
{
    public override string ToString() =>
        $"$ {Command}\nexit {ExitCode}{(TimedOut ? " (timed out, killed)" : "")}\n--- stdout ---\n{Stdout}--- stderr ---\n{Stderr}";
}

/// <summary>Runs a command to completion, killing its process tree when it overruns its timeout.</summary>
internal static class ProcessRunner
{
    public static async Task<CommandResult> RunAsync(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = Repository.Root,
        };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {fileName}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
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
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It exited meanwhile.
                }

                await process.WaitForExitAsync();
            }
        }

        var command = string.Join(' ', arguments.Prepend(fileName));
        return new CommandResult(command, timedOut ? -1 : process.ExitCode, await stdout, await stderr, timedOut);
    }
}
