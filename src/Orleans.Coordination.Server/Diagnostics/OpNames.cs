using Orleans.Coordination.Protocol;

namespace Orleans.Coordination.Server.Diagnostics;

/// <summary>The short op names ZooKeeper prints in cons output.</summary>
public static class OpNames
{
    public static string Short(OpCode op) => op switch
    {
        OpCode.Create => "CREA",
        OpCode.Create2 => "CRE2",
        OpCode.CreateContainer => "CRCN",
        OpCode.CreateTtl => "CRTT",
        OpCode.Delete => "DELE",
        OpCode.Exists => "EXIS",
        OpCode.GetData => "GETD",
        OpCode.SetData => "SETD",
        OpCode.GetAcl => "GACL",
        OpCode.SetAcl => "SACL",
        OpCode.GetChildren => "GETC",
        OpCode.GetChildren2 => "GET2",
        OpCode.Sync => "SYNC",
        OpCode.Ping => "PING",
        OpCode.Multi => "MULT",
        OpCode.MultiRead => "MLTR",
        OpCode.Auth => "AUTH",
        OpCode.SetWatches => "SETW",
        OpCode.SetWatches2 => "STW2",
        OpCode.CloseSession => "CLOS",
        OpCode.AddWatch => "ADDW",
        OpCode.CheckWatches => "CHKW",
        OpCode.RemoveWatches => "REMW",
        OpCode.GetEphemerals => "GETE",
        OpCode.GetAllChildrenNumber => "GETACN",
        OpCode.WhoAmI => "HOMI",
        _ => "UNKN",
    };

    /// <summary>A lower-case op name for metric labels, e.g. "getData".</summary>
    public static string Metric(OpCode op)
    {
        var name = op.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }
}
