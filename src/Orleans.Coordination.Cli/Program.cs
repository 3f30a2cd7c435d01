using System.CommandLine;
using Orleans.Coordination.Cli;
using Orleans.Coordination.Server.Persistence;

var root = new RootCommand("Orleans.Coordination command line: backup and restore of silos.");

var serverOption = new Option<string>("--server") { Description = "HOST:PORT of a running silo's client port", Required = true };
var toOption = new Option<string>("--to") { Description = "A file path, or a PostgreSQL connection string to store the backup in the database", Required = true };
var backup = new Command("backup", "Take a consistent backup of a running silo without pausing writes.") { serverOption, toOption };
backup.SetAction((parse, ct) => Run(() => BackupCommands.BackupAsync(parse.GetValue(serverOption)!, parse.GetValue(toOption)!, Console.Out, ct)));
root.Subcommands.Add(backup);

var fromOption = new Option<string>("--from") { Description = "A backup file, or a PostgreSQL connection string (latest backup unless --id)", Required = true };
var dataDirOption = new Option<string>("--data-dir") { Description = "An empty directory to prepare; a silo started with this dataDir serves the backed-up tree", Required = true };
var idOption = new Option<long?>("--id") { Description = "Backup id when restoring from PostgreSQL" };
var restore = new Command("restore", "Verify a backup and prepare a silo data directory from it.") { fromOption, dataDirOption, idOption };
restore.SetAction((parse, ct) => Run(() => BackupCommands.RestoreAsync(parse.GetValue(fromOption)!, parse.GetValue(dataDirOption)!, parse.GetValue(idOption), Console.Out, ct)));
root.Subcommands.Add(restore);

var verifyDirOption = new Option<string>("--data-dir") { Description = "A stopped silo's data directory", Required = true };
var verify = new Command("verify", "Recover a stopped silo's data offline (snapshot + log) and compare it with a replay of the whole log.") { verifyDirOption };
verify.SetAction((parse, ct) => Run(() => VerifyCommand.RunAsync(parse.GetValue(verifyDirOption)!, Console.Out, ct)));
root.Subcommands.Add(verify);

return await root.Parse(args).InvokeAsync();

static async Task<int> Run(Func<Task<int>> action)
{
    try
    {
        return await action();
    }
    catch (BackupInvalidException e)
    {
        await Console.Error.WriteLineAsync($"error: {e.Message}");
        return 1;
    }
    catch (Exception e) when (e is RecoveryException)
    {
        await Console.Error.WriteLineAsync($"error: {e.Message}");
        return 1;
    }
    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or Npgsql.NpgsqlException or UnauthorizedAccessException)
    {
        await Console.Error.WriteLineAsync($"error: {e.Message}");
        return 1;
    }
}
