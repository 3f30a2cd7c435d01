using System.Buffers;
using System.IO.Compression;

namespace Orleans.Coordination.Storage.Snapshots;

public abstract partial class RelationalSnapshotStore
{
    /// <inheritdoc />
    public async Task<SnapshotMetadata> SaveAsync(SnapshotMetadata metadata, Stream rawContent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(rawContent);
        var createdMs = metadata.CreatedUtc.ToUnixTimeMilliseconds();

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        long id;
        await using (var insert = Command(connection, transaction,
            $"INSERT INTO {Table("snapshots")} (last_zxid, created_unix_ms, node_count, digest, format_version, compression, "
            + "chunk_size, chunk_count, raw_size, raw_crc32c, compressed_size) "
            + "VALUES (@last_zxid, @created, @node_count, @digest, @format_version, @compression, @chunk_size, 0, 0, 0, 0) RETURNING id"))
        {
            AddParameter(insert, "last_zxid", metadata.LastZxid);
            AddParameter(insert, "created", createdMs);
            AddParameter(insert, "node_count", metadata.NodeCount);
            AddParameter(insert, "digest", unchecked((long)metadata.Digest));
            AddParameter(insert, "format_version", (long)metadata.FormatVersion);
            AddParameter(insert, "compression", CompressionName);
            AddParameter(insert, "chunk_size", (long)ChunkSize);
            id = Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false),
                System.Globalization.CultureInfo.InvariantCulture);
        }

        await using var chunkInsert = Command(connection, transaction,
            $"INSERT INTO {Table("snapshot_chunks")} (snapshot_id, chunk_index, crc32c, data) VALUES (@id, @chunk_index, @crc, @data)");
        AddParameter(chunkInsert, "id", id);
        var indexParameter = AddParameter(chunkInsert, "chunk_index", 0L);
        var crcParameter = AddParameter(chunkInsert, "crc", 0L);
        var dataParameter = AddParameter(chunkInsert, "data", Array.Empty<byte>());

        var chunkCount = 0;
        var compressedSize = 0L;
        async Task WriteChunksAsync(ChunkAccumulator chunks, bool final)
        {
            while (chunks.TryTake(final, out var chunk))
            {
                indexParameter.Value = (long)chunkCount;
                crcParameter.Value = (long)Crc32C.Compute(chunk);
                dataParameter.Value = chunk;
                await chunkInsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                chunkCount++;
                compressedSize += chunk.Length;
            }
        }

        var rawSize = 0L;
        var rawCrc = Crc32C.Start;
        var accumulator = new ChunkAccumulator(ChunkSize);
        var buffer = ArrayPool<byte>.Shared.Rent(128 * 1024);
        try
        {
            using (var compressor = new BrotliStream(accumulator, CompressionLevel, leaveOpen: true))
            {
                int read;
                while ((read = await rawContent.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    rawSize += read;
                    rawCrc = Crc32C.Append(rawCrc, buffer.AsSpan(0, read));
                    compressor.Write(buffer, 0, read);
                    await WriteChunksAsync(accumulator, final: false).ConfigureAwait(false);
                }
            }

            await WriteChunksAsync(accumulator, final: true).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var stored = metadata with
        {
            Id = id,
            CreatedUtc = DateTimeOffset.FromUnixTimeMilliseconds(createdMs),
            RawSize = rawSize,
            CompressedSize = compressedSize,
            ChunkCount = chunkCount,
            RawCrc32C = Crc32C.Finish(rawCrc),
        };

        await using (var update = Command(connection, transaction,
            $"UPDATE {Table("snapshots")} SET chunk_count = @chunk_count, raw_size = @raw_size, raw_crc32c = @raw_crc, "
            + "compressed_size = @compressed_size WHERE id = @id"))
        {
            AddParameter(update, "chunk_count", (long)stored.ChunkCount);
            AddParameter(update, "raw_size", stored.RawSize);
            AddParameter(update, "raw_crc", (long)stored.RawCrc32C);
            AddParameter(update, "compressed_size", stored.CompressedSize);
            AddParameter(update, "id", id);
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return stored;
    }

    /// <inheritdoc />
    /// <remarks>The compressed chunks are held in memory while the stream is read.</remarks>
    public async Task<Stream> OpenAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One transaction, so metadata and chunks come from the same state even if a retention
        // pass deletes the snapshot meanwhile.
        await using var transaction = await BeginReadTransactionAsync(connection, cancellationToken).ConfigureAwait(false);

        SnapshotMetadata metadata;
        await using (var select = Command(connection, transaction, $"SELECT {MetadataColumns} FROM {Table("snapshots")} WHERE id = @id"))
        {
            AddParameter(select, "id", id);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new KeyNotFoundException($"Snapshot {id} does not exist in store '{Name}'.");
            }

            metadata = ReadMetadata(reader);
            var compression = reader.GetString(10);
            if (compression != CompressionName)
            {
                throw new SnapshotCorruptedException(Name, id, -1, 0, $"unknown compression '{compression}'");
            }
        }

        var chunks = new List<byte[]>(metadata.ChunkCount);
        var offset = 0L;
        await using (var select = Command(connection, transaction,
            $"SELECT chunk_index, crc32c, data FROM {Table("snapshot_chunks")} WHERE snapshot_id = @id ORDER BY chunk_index"))
        {
            AddParameter(select, "id", id);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var index = reader.GetInt64(0);
                var storedCrc = reader.GetInt64(1);
                var data = (byte[])reader.GetValue(2);
                if (index != chunks.Count)
                {
                    throw new SnapshotCorruptedException(Name, id, chunks.Count, offset, $"chunk {chunks.Count} is missing (next stored chunk is {index})");
                }

                if (Crc32C.Compute(data) != storedCrc)
                {
                    throw new SnapshotCorruptedException(Name, id, chunks.Count, offset,
                        $"chunk checksum mismatch (stored 0x{storedCrc:x8}, computed 0x{Crc32C.Compute(data):x8})");
                }

                chunks.Add(data);
                offset += data.Length;
            }
        }

        if (chunks.Count != metadata.ChunkCount || offset != metadata.CompressedSize)
        {
            throw new SnapshotCorruptedException(Name, id, chunks.Count, offset,
                $"expected {metadata.ChunkCount} chunks and {metadata.CompressedSize} compressed bytes, found {chunks.Count} chunks and {offset} bytes");
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new SnapshotContentStream(Name, metadata, new BrotliStream(new ChunkSequenceStream(chunks), CompressionMode.Decompress));
    }
}
