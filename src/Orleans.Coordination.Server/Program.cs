using Orleans.Coordination.Server;
using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Server.Persistence;
using Orleans.Coordination.Storage;

SiloOptions options;
try
{
    options = SiloConfigLoader.Load(args);
}
catch (SiloConfigException e)
{
    Console.Error.WriteLine($"Invalid configuration: {e.Message}");
    return 2;
}

SiloHost silo;
try
{
    silo = await SiloHost.StartAsync(options);
}
catch (Exception e) when (e is StorageException or RecoveryException)
{
    Console.Error.WriteLine($"Cannot start: {e.Message}");
    Console.Error.WriteLine("If the damage is in the transaction log and losing what follows it is acceptable, restart with --repairLog true.");
    return 3;
}
catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
{
    Console.Error.WriteLine($"Cannot start: {e.Message}");
    return 4;
}

await using (silo)
{
    await silo.WaitForShutdownAsync();
}

return 0;
