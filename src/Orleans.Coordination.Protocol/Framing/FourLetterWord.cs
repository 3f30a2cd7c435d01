using System.Buffers.Binary;
using System.Text;

namespace Orleans.Coordination.Protocol.Framing;

/// <summary>
/// Four-letter words: on a fresh connection the 4 bytes where a length would be spell a command.
/// </summary>
public static class FourLetterWord
{
    /// <summary>Every command the server recognises: ZooKeeper's, plus "bkup" (a consistent backup stream, see the backup docs).</summary>
    public static readonly IReadOnlyList<string> All =
        ["ruok", "srvr", "stat", "conf", "cons", "envi", "mntr", "wchs", "wchc", "wchp", "dump", "isro", "crst", "srst", "gtmk", "stmk", "dirs", "hash", "bkup"];

    private static readonly Dictionary<int, string> ByCode = All.ToDictionary(Code);

    /// <summary>The telnet "interrupt process / close" sequence, which the server ignores quietly.</summary>
    public const int TelnetClose = unchecked((int)0xFFF4FFFD);

    public static int Code(string word) => BinaryPrimitives.ReadInt32BigEndian(Encoding.ASCII.GetBytes(word));

    public static bool TryGet(int lengthField, out string word) => ByCode.TryGetValue(lengthField, out word!);
}
