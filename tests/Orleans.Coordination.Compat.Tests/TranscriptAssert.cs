using System.Text.RegularExpressions;

namespace Orleans.Coordination.Compat.Tests;

/// <summary>Checks a command-line client's output.</summary>
public static class TranscriptAssert
{
    /// <summary>Each pattern (a multiline regex) matches, in the given order, after the previous one.</summary>
    public static void InOrder(string transcript, params string[] patterns)
    {
        var position = 0;
        foreach (var pattern in patterns)
        {
            var match = new Regex(pattern, RegexOptions.Multiline).Match(transcript, position);
            if (!match.Success)
            {
                Assert.Fail($"'{pattern}' not found after offset {position}.\n--- transcript ---\n{transcript}");
            }

            position = match.Index + match.Length;
        }
    }
}
