using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Server.Tests.TestSupport;

/// <summary>Sends a <see cref="SetWatchesRequest"/> (101 or 105 layout) as a request body.</summary>
public sealed record SetWatchesRecord(SetWatchesRequest Request) : IJuteRecord
{
    public void Write(JuteWriter writer) => Request.Write(writer);
}
