using System.Collections;
using System.Reflection;

namespace Orleans.Coordination.Protocol.Tests.Support;

/// <summary>
/// Structural equality for records that hold arrays and lists: record Equals compares those by
/// reference, so it cannot tell whether a decoded record matches the one that was encoded.
/// </summary>
internal static class DeepAssert
{
    public static void Equal(object? expected, object? actual) => Compare(expected, actual, "$");

    private static void Compare(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {Describe(expected)} but got {Describe(actual)}");
            return;
        }

        var type = expected.GetType();

        // Collections compare by content: a decoded list need not be the collection type that was encoded.
        if (expected is IEnumerable expectedItems && expected is not string && expected is not byte[])
        {
            Assert.True(actual is IEnumerable, $"{path}: expected a collection but got {actual.GetType().Name}");
            var e = expectedItems.Cast<object?>().ToList();
            var a = ((IEnumerable)actual).Cast<object?>().ToList();
            Assert.True(e.Count == a.Count, $"{path}: expected {e.Count} items but got {a.Count}");
            for (var i = 0; i < e.Count; i++)
            {
                Compare(e[i], a[i], $"{path}[{i}]");
            }

            return;
        }

        Assert.True(type == actual.GetType(), $"{path}: expected type {type.Name} but got {actual.GetType().Name}");

        if (expected is string || type.IsPrimitive || type.IsEnum)
        {
            Assert.True(expected.Equals(actual), $"{path}: expected {Describe(expected)} but got {Describe(actual)}");
            return;
        }

        if (expected is byte[] expectedBytes)
        {
            var actualBytes = (byte[])actual;
            Assert.True(
                expectedBytes.AsSpan().SequenceEqual(actualBytes),
                $"{path}: expected bytes {Hex.Of(expectedBytes)} but got {Hex.Of(actualBytes)}");
            return;
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            Compare(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        _ => value.ToString() ?? value.GetType().Name,
    };
}
