using Orleans.Coordination.Protocol.Framing;
using Orleans.Coordination.Protocol.Jute;

namespace Orleans.Coordination.Protocol.Tests;

public class FourLetterWordTests
{
    /// <summary>The commands listed in the reference (§11).</summary>
    private static readonly string[] Words =
        ["ruok", "srvr", "stat", "conf", "cons", "envi", "mntr", "wchs", "wchc", "wchp", "dump", "isro", "crst", "srst", "gtmk", "stmk", "dirs", "hash",
         // Ours, beyond ZooKeeper's: the consistent backup stream.
         "bkup"];

    public static readonly TheoryData<string> ReferenceWords = new(Words);

    [Fact]
    public void Ruok_Is0x72756F6B()
    {
        Assert.Equal(0x72756F6B, FourLetterWord.Code("ruok"));
        Assert.True(FourLetterWord.TryGet(0x72756F6B, out var word));
        Assert.Equal("ruok", word);
    }

    [Theory]
    [MemberData(nameof(ReferenceWords))]
    public void EveryListedWord_IsRecognised(string word)
    {
        var code = (word[0] << 24) | (word[1] << 16) | (word[2] << 8) | word[3];
        Assert.Equal(code, FourLetterWord.Code(word));
        Assert.True(FourLetterWord.TryGet(code, out var recognised));
        Assert.Equal(word, recognised);
        Assert.Contains(word, FourLetterWord.All);
    }

    [Fact]
    public void AllMatchesTheReferenceList()
    {
        Assert.Equal(Words.Order(), FourLetterWord.All.Order());
        Assert.Equal(FourLetterWord.All.Count, FourLetterWord.All.Distinct().Count());
    }

    [Fact]
    public void EveryCode_IsAboveOneMiB_SoNeverAValidFrameLength()
    {
        foreach (var word in FourLetterWord.All)
        {
            var code = FourLetterWord.Code(word);
            Assert.True(code > 1 << 20, $"{word} = 0x{code:X8}");
            Assert.True(code > JuteLimits.DefaultMaxBuffer, $"{word} = 0x{code:X8}");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(45)]
    [InlineData(0xFFFFF)]
    [InlineData(-1)]
    [InlineData(0x52554F4B)] // "RUOK": case matters
    [InlineData(0x61626364)] // "abcd"
    public void OtherValues_AreNotWords(int lengthField)
    {
        Assert.False(FourLetterWord.TryGet(lengthField, out _));
    }

    [Fact]
    public void TelnetClose_IsFFF4FFFD_AndNotAWord()
    {
        Assert.Equal(unchecked((int)0xFFF4FFFD), FourLetterWord.TelnetClose);
        Assert.False(FourLetterWord.TryGet(FourLetterWord.TelnetClose, out _));
    }
}
