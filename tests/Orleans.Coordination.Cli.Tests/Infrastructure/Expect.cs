using System.Text.RegularExpressions;

namespace Orleans.Coordination.Cli.Tests.Infrastructure;

/// <summary>Assertions on a finished `coord` run, each failing with the whole run described.</summary>
internal static class Expect
{
    /// <summary>zkCli's Stat lines, in order.</summary>
    public static readonly string[] StatNames =
        ["cZxid", "ctime", "mZxid", "mtime", "pZxid", "cversion", "dataVersion", "aclVersion", "ephemeralOwner", "dataLength", "numChildren"];

    public static ProcessResult Ok(ProcessResult r)
    {
        Assert.True(r.ExitCode == 0, "expected exit code 0\n" + r.Describe());
        return r;
    }

    /// <summary>Exit code <paramref name="code"/> and <paramref name="stderrLine"/> as a whole line of stderr.</summary>
    public static ProcessResult Fails(ProcessResult r, string stderrLine, int code = 1)
    {
        Assert.True(r.ExitCode == code, $"expected exit code {code}\n" + r.Describe());
        Assert.True(StderrLines(r).Contains(stderrLine), $"expected the stderr line '{stderrLine}'\n" + r.Describe());
        return r;
    }

    public static string[] StderrLines(ProcessResult r) =>
        r.Stderr.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');

    /// <summary>Exactly these stdout lines.</summary>
    public static void Stdout(ProcessResult r, params string[] lines) =>
        Assert.True(r.Lines.SequenceEqual(lines), $"expected stdout:\n{string.Join('\n', lines)}\n" + r.Describe());

    /// <summary>
    /// Parses the 11 Stat lines starting at <paramref name="start"/>: names in zkCli's order, zxids and owner in hex,
    /// times as java.util.Date prints them.
    /// </summary>
    public static Dictionary<string, string> Stat(IReadOnlyList<string> lines, int start = 0, string context = "")
    {
        Assert.True(lines.Count >= start + StatNames.Length, $"expected {StatNames.Length} Stat lines from line {start}\n{string.Join('\n', lines)}\n{context}");
        var stat = new Dictionary<string, string>();
        for (var i = 0; i < StatNames.Length; i++)
        {
            var line = lines[start + i];
            var m = Regex.Match(line, @"^(\w+) = (.*)$");
            Assert.True(m.Success && m.Groups[1].Value == StatNames[i], $"line {start + i} should be '{StatNames[i]} = ...', was '{line}'\n{context}");
            stat[StatNames[i]] = m.Groups[2].Value;
        }

        foreach (var hex in new[] { "cZxid", "mZxid", "pZxid", "ephemeralOwner" })
        {
            Assert.Matches("^0x[0-9a-f]+$", stat[hex]);
        }

        foreach (var time in new[] { "ctime", "mtime" })
        {
            Assert.Matches(@"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d\d \d\d:\d\d:\d\d [A-Z]{3,4} \d{4}$", stat[time]);
        }

        return stat;
    }

    /// <summary>Each expected line occurs, after the previous one.</summary>
    public static void InOrder(IReadOnlyList<string> lines, IEnumerable<string> expected, string context)
    {
        var at = 0;
        foreach (var e in expected)
        {
            var found = -1;
            for (var i = at; i < lines.Count; i++)
            {
                if (lines[i] == e)
                {
                    found = i;
                    break;
                }
            }

            Assert.True(found >= 0, $"expected the line '{e}' after line {at}\n{context}");
            at = found + 1;
        }
    }

    /// <summary>A unique node path for one test: /cli-NAME-xxxxxxxx.</summary>
    public static string NewBase(string name) => $"/cli-{name}-{Guid.NewGuid().ToString("N")[..8]}";
}
