using Orleans.Coordination.Storage.Snapshots;

namespace Orleans.Coordination.Storage.Tests.Snapshots;

public sealed class SnapshotStoreFactoryTests
{
    [Fact]
    public async Task Sqlite_is_the_default_and_lives_in_the_data_directory()
    {
        await using var store = SnapshotStoreFactory.Create(new SnapshotStoreOptions { DataDirectory = "/var/lib/coord" });
        var sqlite = Assert.IsType<SqliteSnapshotStore>(store);
        Assert.Equal("/var/lib/coord/snapshots.db", sqlite.DatabasePath);
    }

    [Fact]
    public async Task PostgreSql_is_chosen_by_name_and_its_display_name_hides_the_password()
    {
        await using var store = SnapshotStoreFactory.Create(new SnapshotStoreOptions
        {
            Provider = "PostgreSQL",
            ConnectionString = "Host=db.example;Port=5433;Username=coord;Password=s3cret;Database=coord",
            Schema = "ensemble_a",
        });
        Assert.IsType<PostgreSqlSnapshotStore>(store);
        Assert.Equal("postgresql:db.example:5433/coord/ensemble_a", store.Name);
        Assert.DoesNotContain("s3cret", store.Name);
    }

    [Theory]
    [InlineData("mysql", null, null, "Provider")]
    [InlineData("sqlite", null, null, "DataDirectory")]
    [InlineData("postgresql", null, null, "ConnectionString")]
    [InlineData("postgresql", "Host=x", "Bad-Schema", "Schema")]
    public void Invalid_options_name_the_option(string provider, string? connectionString, string? schema, string option)
    {
        var options = new SnapshotStoreOptions { Provider = provider, ConnectionString = connectionString };
        if (schema is not null)
        {
            options.Schema = schema;
        }

        var ex = Assert.Throws<ArgumentException>(() => SnapshotStoreFactory.Create(options));
        Assert.Contains($"SnapshotStoreOptions.{option}", ex.Message);
    }
}
