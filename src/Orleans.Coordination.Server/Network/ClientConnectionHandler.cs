using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Orleans.Coordination.Server.Processing;

namespace Orleans.Coordination.Server.Network;

/// <summary>Kestrel's raw-TCP entry point for the client port: one <see cref="ClientConnection"/> per socket.</summary>
public sealed class ClientConnectionHandler(SiloCore core, ILogger<ClientConnectionHandler> logger) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var client = new ClientConnection(connection, core);
        if (!core.TryAdmit(client))
        {
            logger.LogWarning("Too many connections from {Address} (maxClientCnxns={Max}); closing", client.RemoteAddress, core.Options.MaxClientCnxns);
            connection.Abort();
            return;
        }

        await client.RunAsync(logger);
    }
}
