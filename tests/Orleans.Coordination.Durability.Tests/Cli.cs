using System.Diagnostics;

namespace Orleans.Coordination.Durability.Tests;

/// <summary>Runs the real `coord` executable (Release build), as an operator would.</summary>
internal static class Cli
{
    public static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var cli = Path.Combine(SiloProcess.RepoRoot, "src/Orleans.Coordination.Cli/bin/Release/net10.0/coord.dll");
        if (!File.Exists(cli))
        {
            using var build = Process.Start(new ProcessStartInfo("dotnet", ["build", "-c", "Release", Path.Combine(SiloProcess.RepoRoot, "src/Orleans.Coordination.Cli")]) { UseShellExecute = false })!;
            await build.WaitForExitAsync();
        }

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(cli);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout + await stderr);
    }
}
