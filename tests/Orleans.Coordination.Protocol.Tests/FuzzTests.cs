using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Tests.Support;

namespace Orleans.Coordination.Protocol.Tests;

/// <summary>
/// Seeded random and mutated inputs fed to every record's Read: the only acceptable outcomes are
/// success and <see cref="JuteException"/>.
/// </summary>
public class FuzzTests
{
    private const int Iterations = 2000;

    public static readonly TheoryData<string> KindNames = DecoderRobustnessTests.KindNames;

    [Theory]
    [MemberData(nameof(KindNames))]
    public void RandomBytes_OnlyEverThrowJuteException(string name)
    {
        var kind = RecordCatalog.Get(name);
        var random = new Random(Seed(name));
        for (var i = 0; i < Iterations; i++)
        {
            var bytes = new byte[random.Next(0, 96)];
            random.NextBytes(bytes);
            Check(kind, bytes);
        }
    }

    [Theory]
    [MemberData(nameof(KindNames))]
    public void StructuredRandom_OnlyEverThrowsJuteException(string name)
    {
        // Mostly small big-endian ints (plausible lengths, counts, opcodes and -1s), so decoding gets deep.
        var kind = RecordCatalog.Get(name);
        var random = new Random(Seed(name) ^ 0x5EED);
        for (var i = 0; i < Iterations; i++)
        {
            Check(kind, StructuredBytes(random));
        }
    }

    [Theory]
    [MemberData(nameof(KindNames))]
    public void MutatedSamples_OnlyEverThrowJuteException(string name)
    {
        var kind = RecordCatalog.Get(name);
        var random = new Random(Seed(name) ^ 0x0BADF00D);
        for (var i = 0; i < Iterations; i++)
        {
            var sample = kind.Samples[random.Next(kind.Samples.Count)];
            Check(kind, Mutate(sample, random));
        }
    }

    private static void Check(RecordKind kind, byte[] bytes)
    {
        try
        {
            kind.Read(bytes);
        }
        catch (JuteException)
        {
        }
        catch (Exception ex)
        {
            Assert.Fail($"{kind.Name} threw {ex.GetType().Name} ({ex.Message}) for input {Hex.Of(bytes)}");
        }
    }

    private static byte[] StructuredBytes(Random random)
    {
        var list = new List<byte>();
        var parts = random.Next(0, 24);
        for (var p = 0; p < parts; p++)
        {
            switch (random.Next(6))
            {
                case 0:
                case 1:
                    AddInt(list, random.Next(-3, 20));
                    break;
                case 2:
                    AddInt(list, PickInteresting(random));
                    break;
                case 3:
                    list.Add((byte)random.Next(0, 3));
                    break;
                case 4:
                    AddInt(list, random.Next(-1, 4));
                    list.AddRange("/ab"u8.ToArray().AsSpan(0, random.Next(0, 4)));
                    break;
                default:
                    var extra = new byte[random.Next(1, 8)];
                    random.NextBytes(extra);
                    list.AddRange(extra);
                    break;
            }
        }

        return [.. list];
    }

    private static int PickInteresting(Random random)
    {
        int[] values = [-1, -2, 0, 1, 13, 14, 15, 19, 21, 22, int.MaxValue, int.MinValue, 0xFFFFF, 0x100000, -10, -11, 100];
        return values[random.Next(values.Length)];
    }

    private static void AddInt(List<byte> list, int value)
    {
        list.Add((byte)(value >> 24));
        list.Add((byte)(value >> 16));
        list.Add((byte)(value >> 8));
        list.Add((byte)value);
    }

    private static byte[] Mutate(byte[] sample, Random random)
    {
        var bytes = new List<byte>(sample);
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits; e++)
        {
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    break;
                case 1 when bytes.Count > 0:
                    var at = random.Next(bytes.Count);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 2 when bytes.Count > 0:
                    bytes.RemoveRange(random.Next(bytes.Count), 1);
                    break;
                case 3:
                    bytes.Insert(random.Next(bytes.Count + 1), (byte)random.Next(256));
                    break;
                case 4 when bytes.Count >= 4:
                    // Overwrite a 4-byte window with an interesting int, typically a length or count.
                    var start = random.Next(bytes.Count - 3);
                    var value = PickInteresting(random);
                    bytes[start] = (byte)(value >> 24);
                    bytes[start + 1] = (byte)(value >> 16);
                    bytes[start + 2] = (byte)(value >> 8);
                    bytes[start + 3] = (byte)value;
                    break;
            }
        }

        if (random.Next(4) == 0 && bytes.Count > 0)
        {
            var keep = random.Next(bytes.Count);
            bytes.RemoveRange(keep, bytes.Count - keep);
        }

        return [.. bytes];
    }

    private static int Seed(string name)
    {
        // string.GetHashCode is randomised per process; keep the seed stable across runs.
        var hash = 17;
        foreach (var c in name)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash;
    }
}
