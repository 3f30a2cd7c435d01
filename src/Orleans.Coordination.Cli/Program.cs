using System.CommandLine;
using System.Text;
using Orleans.Coordination.Cli;
using Orleans.Coordination.Cli.Operations;
using Orleans.Coordination.Cli.Shell;
using Orleans.Coordination.Server.Persistence;

// Two command lines share this executable. zkCli's: "coord -server HOST:PORT [command args]" (or a zkCli command
// as the first word), dispatched here by hand because its single-dash options and positional commands do not fit
// System.CommandLine. Everything else (backup, restore, verify, status, snapshot, log, --help) goes to System.CommandLine.
if (args.Length > 0 && (ZkCliArguments.IsOption(args[0]) || ZkShell.IsCommand(args[0])))
{
    Console.OutputEncoding = new UTF8Encoding(false);
    return await ZkShell.RunAsync(args);
}

var root = new RootCommand(
    "Orleans.Coordination command line.\n"
    + "zkCli-compatible shell: coord -server HOST:PORT[,HOST:PORT][/chroot] [-timeout ms] [-r] [command args]\n"
    + "  (without a command: an interactive shell; 'coord -server HOST:PORT help' lists the commands).\n"
    + "Operations: backup, restore, verify, status, snapshot, snapshot dump, log dump.");

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

var serversOption = new Option<string>("--servers", "-server", "--server") { Description = "HOST:PORT,HOST:PORT,... client ports of every silo of the ensemble", Required = true };
var statusJsonOption = new Option<bool>("--json") { Description = "One JSON document instead of the table" };
var statusTimeoutOption = new Option<int>("--timeout") { Description = "Milliseconds to wait for each server", DefaultValueFactory = _ => 5000 };
var status = new Command("status", "Every silo's mode, zxid, lag behind the leader, connections and node count (srvr + mntr); exit 1 unless all serve (and at most one leads).")
{
    serversOption, statusJsonOption, statusTimeoutOption,
};
status.SetAction((parse, ct) => Run(() => StatusCommand.RunAsync(
    parse.GetValue(serversOption)!, parse.GetValue(statusJsonOption), parse.GetValue(statusTimeoutOption), Console.Out, ct)));
root.Subcommands.Add(status);

var adminServerOption = new Option<string>("--server") { Description = "HOST:ADMINPORT (or http://HOST:ADMINPORT) of a silo's admin endpoint" };
var tokenOption = new Option<string?>("--token") { Description = "admin.token of the silo (default: $COORD_ADMIN_TOKEN)" };
var digestOption = new Option<string?>("--digest") { Description = "super:PASSWORD matching the silo's superDigest, instead of a token" };
var snapshot = new Command("snapshot", "Ask a silo to take a snapshot now (POST /commands/snapshot on its admin endpoint) and print the answer.")
{
    adminServerOption, tokenOption, digestOption,
};
snapshot.SetAction((parse, ct) => Run(() => AdminSnapshotCommand.RunAsync(
    parse.GetValue(adminServerOption), parse.GetValue(tokenOption) ?? Environment.GetEnvironmentVariable("COORD_ADMIN_TOKEN"), parse.GetValue(digestOption), Console.Out, ct)));
root.Subcommands.Add(snapshot);

var snapDirOption = new Option<string>("--data-dir") { Description = "A silo's data directory (its snapshots.db is read, never written)", Required = true };
var snapJsonOption = new Option<bool>("--json") { Description = "One JSON document instead of text" };
var snapIdOption = new Option<long?>("--id") { Description = "Dump this snapshot instead of the newest" };
var snapDataOption = new Option<bool>("--data") { Description = "Include every node's data (base64), as zkSnapShotToolkit -d" };
var snapConnOption = new Option<string?>("--connection-string") { Description = "Read a PostgreSQL snapshot store instead of DIR/snapshots.db" };
var snapSchemaOption = new Option<string>("--schema") { Description = "Schema of the PostgreSQL snapshot store", DefaultValueFactory = _ => "coordination" };
var snapshotDump = new Command("dump", "Print a stored snapshot's metadata and every node with its stat (like zkSnapShotToolkit).")
{
    snapDirOption, snapJsonOption, snapIdOption, snapDataOption, snapConnOption, snapSchemaOption,
};
snapshotDump.SetAction((parse, ct) => RunBuffered(output => SnapshotDumpCommand.RunAsync(
    new SnapshotDumpCommand.Settings(
        parse.GetValue(snapDirOption)!, parse.GetValue(snapJsonOption), parse.GetValue(snapIdOption), parse.GetValue(snapDataOption),
        parse.GetValue(snapConnOption), parse.GetValue(snapSchemaOption)!),
    output, Console.Error, ct)));
snapshot.Subcommands.Add(snapshotDump);

var logDirOption = new Option<string>("--data-dir") { Description = "A silo's data directory (its log/ is read through a read-only view)", Required = true };
var logJsonOption = new Option<bool>("--json") { Description = "One JSON document instead of text" };
var logFromOption = new Option<string?>("--from-zxid") { Description = "Only records after this zxid (hex 0x... or decimal)" };
var logDump = new Command("dump", "Print every transaction log record: zxid, time, session, cxid, type, path and details (like zkTxnLogToolkit).")
{
    logDirOption, logJsonOption, logFromOption,
};
logDump.SetAction((parse, ct) => RunBuffered(output => LogDumpCommand.RunAsync(
    parse.GetValue(logDirOption)!, parse.GetValue(logJsonOption), parse.GetValue(logFromOption), output, Console.Error, ct)));
var log = new Command("log", "Transaction log tools.") { logDump };
root.Subcommands.Add(log);

return await root.Parse(args).InvokeAsync();

// Dumps can be long: write through one buffered stream, flushed at the end (and before errors are printed).
static async Task<int> RunBuffered(Func<TextWriter, Task<int>> action)
{
    await using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16);
    return await Run(async () =>
    {
        try
        {
            return await action(output);
        }
        finally
        {
            await output.FlushAsync();
        }
    });
}

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
    catch (Exception e) when (e is RecoveryException or CliException or KeyNotFoundException
        or Orleans.Coordination.DataTree.Tree.SnapshotFormatException or Orleans.Coordination.Protocol.Jute.JuteException)
    {
        await Console.Error.WriteLineAsync($"error: {e.Message}");
        return 1;
    }
    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or Npgsql.NpgsqlException or UnauthorizedAccessException
        or HttpRequestException or Microsoft.Data.Sqlite.SqliteException)
    {
        await Console.Error.WriteLineAsync($"error: {e.Message}");
        return 1;
    }
}
