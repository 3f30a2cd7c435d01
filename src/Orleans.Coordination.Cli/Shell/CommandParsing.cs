using System.Globalization;
using System.Text.RegularExpressions;

namespace Orleans.Coordination.Cli.Shell;

/// <summary>Splits a shell line into words as zkCli does: whitespace separates, '...' and "..." group (quotes removed).</summary>
internal static partial class CommandTokenizer
{
    [GeneratedRegex("""\s*([^"']\S*|"[^"]*"|'[^']*')\s*""")]
    private static partial Regex Word();

    public static string[] Split(string line)
    {
        var words = new List<string>();
        foreach (Match m in Word().Matches(line))
        {
            var value = m.Groups[1].Value;
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
            }

            words.Add(value);
        }

        return [.. words];
    }
}

/// <summary>
/// The options of one shell command, parsed as Apache Commons CLI does for zkCli: options may appear anywhere,
/// flags are single letters, valued options take the next word. A word that is a negative number is an argument.
/// </summary>
internal sealed class CommandOptions
{
    private readonly HashSet<char> _flags = [];
    private readonly Dictionary<char, string> _values = [];

    private CommandOptions(List<string> arguments) => Arguments = arguments;

    /// <summary>The words that are not options, the command name first.</summary>
    public List<string> Arguments { get; }

    /// <param name="words">The command name and its words.</param>
    /// <param name="flags">Letters of options without a value.</param>
    /// <param name="valued">Letters of options with a value.</param>
    public static CommandOptions Parse(IReadOnlyList<string> words, string flags, string valued = "")
    {
        var result = new CommandOptions([words[0]]);
        for (var i = 1; i < words.Count; i++)
        {
            var w = words[i];
            if (w.Length < 2 || w[0] != '-' || long.TryParse(w, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            {
                result.Arguments.Add(w);
                continue;
            }

            var letter = w[1];
            if (w.Length == 2 && flags.Contains(letter, StringComparison.Ordinal))
            {
                result._flags.Add(letter);
            }
            else if (w.Length == 2 && valued.Contains(letter, StringComparison.Ordinal))
            {
                if (i + 1 >= words.Count)
                {
                    throw new CliUsageException($"Missing argument for option: {letter}");
                }

                result._values[letter] = words[++i];
            }
            else if (w.Length > 2 && valued.Contains(letter, StringComparison.Ordinal))
            {
                result._values[letter] = w[2..]; // -v3, as commons-cli accepts
            }
            else
            {
                throw new CliException($"Unrecognized option: {w}");
            }
        }

        return result;
    }

    public bool Has(char flag) => _flags.Contains(flag) || _values.ContainsKey(flag);

    public string? Value(char option) => _values.GetValueOrDefault(option);

    /// <summary>The int value of <paramref name="option"/>, or <paramref name="fallback"/> when absent.</summary>
    public int IntValue(char option, int fallback, string invalidMessage)
    {
        if (Value(option) is not { } text)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : throw new CliException(invalidMessage);
    }
}
