using Orleans.Coordination.Server;
using Orleans.Coordination.Server.Configuration;

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

await using var silo = await SiloHost.StartAsync(options);
await silo.WaitForShutdownAsync();
return 0;
