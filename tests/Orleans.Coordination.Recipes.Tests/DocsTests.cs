using System.Text.RegularExpressions;
using Orleans.Coordination.Client.Tests.TestSupport;

namespace Orleans.Coordination.Recipes.Tests;

/// <summary>The C# blocks of the docs are the samples that CI compiles (and the recipe tests run).</summary>
public sealed partial class DocsTests
{
    [Theory]
    [InlineData("docs/client.md")]
    [InlineData("src/Orleans.Coordination.Recipes/README.md")]
    [InlineData("src/Orleans.Coordination.Client/README.md")]
    public void Docs_code_blocks_are_the_compiled_samples(string document)
    {
        var root = ServerFixture.RepositoryRoot();
        var snippets = Snippets(Path.Combine(root, "samples", "Orleans.Coordination.Samples"));
        var text = File.ReadAllText(Path.Combine(root, document)).ReplaceLineEndings("\n");
        var blocks = CodeBlock().Matches(text);
        Assert.NotEmpty(blocks);
        foreach (Match block in blocks)
        {
            var code = block.Groups["code"].Value.TrimEnd('\n');
            if (block.Groups["name"].Success)
            {
                var name = block.Groups["name"].Value;
                Assert.True(snippets.ContainsKey(name), $"{document}: no sample snippet '{name}'");
                Assert.Equal(snippets[name], code);
            }
            else
            {
                Assert.True(snippets.ContainsValue(code), $"{document}: this block is not a sample snippet:\n{code}");
            }
        }
    }

    /// <summary>Text between <c>// &lt;snippet name="x"&gt;</c> and <c>// &lt;/snippet&gt;</c>, dedented.</summary>
    private static Dictionary<string, string> Snippets(string directory)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(directory, "*.cs"))
        {
            string? name = null;
            var lines = new List<string>();
            foreach (var line in File.ReadAllLines(file))
            {
                var start = SnippetStart().Match(line);
                if (start.Success)
                {
                    (name, lines) = (start.Groups[1].Value, []);
                }
                else if (name is not null && line.Trim() == "// </snippet>")
                {
                    var indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
                    result.Add(name, string.Join('\n', lines.Select(l => l.Trim().Length == 0 ? "" : l[indent..])));
                    name = null;
                }
                else if (name is not null)
                {
                    lines.Add(line);
                }
            }
        }

        return result;
    }

    [GeneratedRegex(@"^\s*// <snippet name=""([^""]+)"">\s*$")]
    private static partial Regex SnippetStart();

    [GeneratedRegex(@"(?:<!-- snippet: (?<name>[a-z-]+) -->\n)?```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
