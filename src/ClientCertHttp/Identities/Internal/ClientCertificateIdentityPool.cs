using System.Collections.Concurrent;
using System.Net.Security;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Handler;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.Identities;

/// <summary>
/// The identities of one per-identity client: each loaded identity has its own <see cref="ClientCertificateSource"/>
/// (so loading, watching, reloads after a rejection and backoff are the client machinery, per identity) and its own
/// <see cref="RotatingClientCertificateHandler"/> (its own connection pool and certificate context). Registered as a
/// keyed singleton per client; it outlives the factory's handlers, so identities keep their connections when the
/// factory rotates handlers.
/// </summary>
/// <remarks>
/// <para>
/// The request path is one dictionary read and one timestamp write, with no allocation and no lock. Loading runs on
/// the thread pool, once for concurrent first requests; a failed load is not kept, so the next request tries again.
/// </para>
/// <para>
/// Bounded by <see cref="ClientCertificateIdentityOptions.MaxIdentities"/>: loading one more evicts the least recently
/// used identity; identities idle for <see cref="ClientCertificateIdentityOptions.IdleTimeout"/> are evicted by a
/// sweep. An evicted identity's handler drains before its connections and certificate are disposed.
/// </para>
/// </remarks>
internal sealed partial class ClientCertificateIdentityPool : IDisposable
{
    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly ClientCertificateSource _client;
    private readonly IOptionsMonitor<ClientCertHttpOptions> _optionsMonitor;
    private readonly IClientCertificateIdentityProvider? _provider;
    private readonly Func<IOptionsMonitor<ClientCertHttpOptions>, ICertificateProvider?, ClientCertificateSource> _createSource;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly IdentityInstruments _instruments;
    private readonly Lock _lock = new();
    private SocketsHttpHandler? _template;
    private SslClientAuthenticationOptions? _templateSsl;
    private ITimer? _sweepTimer;
    private int _loaded;
    private bool _disposed;

    public ClientCertificateIdentityPool(
        ClientCertificateSource client,
        IOptionsMonitor<ClientCertHttpOptions> optionsMonitor,
        IClientCertificateIdentityProvider? provider,
        Func<IOptionsMonitor<ClientCertHttpOptions>, ICertificateProvider?, ClientCertificateSource> createSource,
        TimeProvider timeProvider,
        ILogger logger,
        IdentityInstruments instruments)
    {
        _client = client;
        _optionsMonitor = optionsMonitor;
        _provider = provider;
        _createSource = createSource;
        _timeProvider = timeProvider;
        _logger = logger;
        _instruments = instruments;
        Drain = new DrainQueue(client.ClientName, timeProvider, logger);
    }

    /// <summary>Gets the client's name.</summary>
    public string ClientName => _client.ClientName;

    /// <summary>Gets the number of identities loaded now.</summary>
    public int Count => Volatile.Read(ref _loaded);

    /// <summary>Gets the handlers of evicted identities that are still draining.</summary>
    public DrainQueue Drain { get; }

    /// <summary>Gets a value indicating whether an identity provider is registered.</summary>
    public bool HasProvider => _provider is not null;

    /// <summary>Gets the identities loaded now, with their sources (for the health check and tests).</summary>
    public IEnumerable<(string Identity, ClientCertificateSource Source)> Loaded()
    {
        foreach (var (identity, slot) in _slots)
        {
            if (slot.Entry is { } entry)
            {
                yield return (identity, entry.Source);
            }
        }
    }

    /// <summary>Gets the loaded identity, loading it first when it is not.</summary>
    /// <exception cref="ClientCertificateException">The identity is unknown or its certificate cannot be loaded.</exception>
    public ValueTask<IdentityEntry> GetAsync(string identity, CancellationToken cancellationToken)
    {
        if (_slots.TryGetValue(identity, out var slot) && slot.Entry is { } entry)
        {
            entry.Touch(_timeProvider.GetTimestamp());
            return new ValueTask<IdentityEntry>(entry);
        }

        return LoadAsync(identity, cancellationToken);
    }

    /// <summary>
    /// Gives the pool the handler its identities' handlers are copied from: the first primary handler the factory
    /// built for the client, as the user configured it.
    /// </summary>
    public void UseTemplate(SocketsHttpHandler handler)
    {
        if (Volatile.Read(ref _template) is not null)
        {
            return;
        }

        lock (_lock)
        {
            if (_template is null)
            {
                var ssl = SocketsHttpHandlerSettings.Copy(handler.SslOptions);
                _templateSsl = ssl;

                // Never sends: only copied, and disposed with the pool.
#pragma warning disable CA2000 // Owned by the pool, disposed in Dispose.
                Volatile.Write(ref _template, SocketsHttpHandlerSettings.Copy(handler, ssl));
#pragma warning restore CA2000
            }
        }
    }

    /// <summary>Unloads an identity now (its handler drains first); the next request loads it again.</summary>
    public bool Evict(string identity, string reason)
    {
        if (_slots.TryGetValue(identity, out var slot) && slot.Entry is not null)
        {
            return Retire(identity, slot, reason);
        }

        return false;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _sweepTimer?.Dispose();
        }

        foreach (var (_, slot) in _slots)
        {
            slot.Entry?.Dispose();
        }

        _slots.Clear();
        Drain.Dispose();
        _template?.Dispose();
    }

    internal static ClientCertificateException Unknown(string clientName, string identity, string why) =>
        new(
            clientName,
            ClientCertificateFailureReason.UnknownIdentity,
            $"HTTP client '{clientName}': the request names the identity {Describe(identity)}, but {why}. A request is never sent without a certificate: add the identity (Identities:Certificates, Identities:Directory or the identity provider) or fix the identity the request names.");

    /// <summary>Names an identity in a message; one outside the identity alphabet (it may be anything a caller sent) is not quoted.</summary>
    internal static string Describe(string identity) =>
        ClientCertificateIdentityNames.IsValid(identity) ? $"'{identity}'" : $"of {identity.Length} characters that is not a valid identity name";

    private async ValueTask<IdentityEntry> LoadAsync(string identity, CancellationToken cancellationToken)
    {
        if (!ClientCertificateIdentityNames.IsValid(identity))
        {
            _instruments.Loaded(ClientName, identity, IdentityInstruments.Unknown);
            throw Unknown(ClientName, identity, $"identities are made of letters, digits, '-', '_', '.' and '@' (at most {ClientCertificateIdentityNames.MaxLength} characters, not starting with '.')");
        }

        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_slots.TryGetValue(identity, out var slot))
            {
                var mine = new Slot();
                if (!_slots.TryAdd(identity, mine))
                {
                    continue;
                }

                slot = mine;
                _ = Task.Run(
                    () =>
                {
                    try
                    {
                        mine.Completion.SetResult(Load(identity, mine));
                    }
                    catch (Exception ex)
                    {
                        mine.Completion.SetException(ex);
                    }
                },
                    CancellationToken.None);
            }

            if (slot.Entry is { } loaded)
            {
                loaded.Touch(_timeProvider.GetTimestamp());
                return loaded;
            }

            // The load is shared by every request that asked for the identity while it ran: a canceled request stops
            // waiting, the load goes on for the others.
            var entry = await slot.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            entry.Touch(_timeProvider.GetTimestamp());
            return entry;
        }
    }

    private IdentityEntry Load(string identity, Slot slot)
    {
        ClientCertificateSource? source = null;
        try
        {
            var options = _client.Options;
            var certificate = Resolve(options, identity);
            if (certificate is null && _provider is null)
            {
                throw Unknown(ClientName, identity, Why(options));
            }

            var monitor = new IdentityOptionsMonitor(_optionsMonitor, ClientName, identity, Resolve);
            source = _createSource(monitor, certificate is null ? new IdentityCertificateProvider(_provider!, ClientName, identity) : null);
            source.Start();

            var template = Volatile.Read(ref _template)
                ?? throw new InvalidOperationException($"HTTP client '{ClientName}': identities are used before the client's handler was built.");
            var handler = SocketsHttpHandlerSettings.Copy(template, _templateSsl!);
            RotatingClientCertificateHandler rotating;
            try
            {
#pragma warning disable CA2000 // Owned by the entry made below; the pool disposes the entry.
                rotating = new RotatingClientCertificateHandler(source, handler, _logger);
#pragma warning restore CA2000
            }
            catch
            {
                handler.Dispose();
                throw;
            }

#pragma warning disable CA2000 // The entry owns the handler and the source; the pool disposes the entry.
            var entry = new IdentityEntry(identity, source, rotating);
#pragma warning restore CA2000
            source = null;
            entry.Touch(_timeProvider.GetTimestamp());
            slot.Entry = entry;
            Interlocked.Increment(ref _loaded);
            _instruments.Loaded(ClientName, identity, IdentityInstruments.Success);
            var leaf = entry.Source.Current.Certificate!.Certificate;
            Log.IdentityLoaded(_logger, ClientName, identity, leaf.Subject, leaf.Thumbprint, new DateTimeOffset(leaf.NotAfter.ToUniversalTime()), Count);
            if (_disposed)
            {
                entry.Dispose();
                ObjectDisposedException.ThrowIf(true, this);
            }

            StartSweeping(options.Identities);
            EvictOverCapacity(options.Identities.MaxIdentities, entry);
            return entry;
        }
        catch (Exception ex)
        {
            source?.Dispose();

            // Not kept: the next request for the identity tries again (a provider that was down may be up).
            _slots.TryRemove(new KeyValuePair<string, Slot>(identity, slot));
            var unknown = ex is ClientCertificateException { Reason: ClientCertificateFailureReason.UnknownIdentity };
            _instruments.Loaded(ClientName, identity, unknown ? IdentityInstruments.Unknown : IdentityInstruments.Failure);
            Log.IdentityLoadFailed(_logger, ClientName, Describe(identity), ex is ClientCertificateException typed ? typed.Message : $"the load threw {ex.GetType().FullName}.");
            if (ex is ClientCertificateException or ObjectDisposedException)
            {
                throw;
            }

            // A provider's own exception type: its message may quote a secret, so it is not passed on.
            throw new ClientCertificateException(ClientName, ClientCertificateFailureReason.CertificateProviderFailed, $"HTTP client '{ClientName}', identity '{identity}': loading the identity's certificate threw {ex.GetType().FullName}.");
        }
    }

    private static string Why(ClientCertHttpOptions options)
    {
        var directory = options.Identities?.Directory;
        return string.IsNullOrWhiteSpace(directory)
            ? "it is not in Identities:Certificates and the client has no Identities:Directory and no identity provider"
            : $"it is not in Identities:Certificates and '{Path.GetFullPath(directory)}' (Identities:Directory) has neither a folder nor a .pem file of that name, and the client has no identity provider";
    }

    /// <summary>Finds the certificate settings of <paramref name="identity"/>: configured, else an entry of the identity folder.</summary>
    private static ClientCertificateOptions? Resolve(ClientCertHttpOptions options, string identity)
    {
        var identities = options.Identities;
        if (identities is null)
        {
            return null;
        }

        if (identities.Certificates.TryGetValue(identity, out var configured))
        {
            return configured;
        }

        if (string.IsNullOrWhiteSpace(identities.Directory) || !ClientCertificateIdentityNames.IsValid(identity))
        {
            return null;
        }

        var folder = Path.Combine(Path.GetFullPath(identities.Directory), identity);
        if (System.IO.Directory.Exists(folder))
        {
            return new ClientCertificateOptions { Directory = folder, ProviderTimeout = options.Certificate?.ProviderTimeout ?? TimeSpan.FromSeconds(30) };
        }

        var pem = folder + ".pem";
        return File.Exists(pem) ? new ClientCertificateOptions { Path = pem, KeyPath = pem } : null;
    }

    private void EvictOverCapacity(int maxIdentities, IdentityEntry keep)
    {
        if (Count <= maxIdentities)
        {
            return;
        }

        lock (_lock)
        {
            var excess = Count - maxIdentities;
            if (excess <= 0)
            {
                return;
            }

            // Least recently used first. Only loads pay for this scan, and only beyond the limit.
            var victims = _slots
                .Where(pair => pair.Value.Entry is { } entry && !ReferenceEquals(entry, keep))
                .OrderBy(pair => pair.Value.Entry!.LastUsed)
                .Take(excess)
                .ToList();
            foreach (var (identity, slot) in victims)
            {
                Retire(identity, slot, IdentityInstruments.CapacityReason);
            }
        }
    }

    private void StartSweeping(ClientCertificateIdentityOptions identities)
    {
        if (Volatile.Read(ref _sweepTimer) is not null || identities.IdleTimeout == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        lock (_lock)
        {
            if (_sweepTimer is null && !_disposed)
            {
                var period = TimeSpan.FromTicks(Math.Clamp(identities.IdleTimeout.Ticks / 4, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
                _sweepTimer = _timeProvider.CreateTimer(static state => ((ClientCertificateIdentityPool)state!).Sweep(), this, period, period);
            }
        }
    }

    /// <summary>Evicts the identities idle for longer than the idle timeout.</summary>
    internal void Sweep()
    {
        try
        {
            var idleTimeout = _client.Options.Identities.IdleTimeout;
            if (idleTimeout == Timeout.InfiniteTimeSpan)
            {
                return;
            }

            var now = _timeProvider.GetTimestamp();
            foreach (var (identity, slot) in _slots)
            {
                if (slot.Entry is { } entry && _timeProvider.GetElapsedTime(entry.LastUsed, now) > idleTimeout)
                {
                    Retire(identity, slot, IdentityInstruments.IdleReason);
                }
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or ClientCertificateException)
        {
            // The application is stopping, or the client never started: nothing to sweep.
        }
    }

    private bool Retire(string identity, Slot slot, string reason)
    {
        if (!_slots.TryRemove(new KeyValuePair<string, Slot>(identity, slot)) || slot.Entry is not { } entry)
        {
            return false;
        }

        Interlocked.Decrement(ref _loaded);
        _instruments.Evicted(ClientName, identity, reason);
        var drain = _client.Options.Reload.DrainTimeout;
        Log.IdentityEvicted(_logger, ClientName, identity, reason, drain, Count);
        Drain.Add(entry.Dispose, drain);
        return true;
    }

    /// <summary>An identity being loaded or loaded: the load every first request waits for, then the entry.</summary>
    private sealed class Slot
    {
        private IdentityEntry? _entry;

        public TaskCompletionSource<IdentityEntry> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IdentityEntry? Entry
        {
            get => Volatile.Read(ref _entry);
            set => Volatile.Write(ref _entry, value);
        }
    }
}

/// <summary>One loaded identity: its source, and the handler its requests go to.</summary>
internal sealed class IdentityEntry(string identity, ClientCertificateSource source, RotatingClientCertificateHandler handler)
{
    private long _lastUsed;
    private int _disposed;

    public string Identity { get; } = identity;

    public ClientCertificateSource Source { get; } = source;

    public RotatingClientCertificateHandler Handler { get; } = handler;

    /// <summary>Gets the timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the last request.</summary>
    public long LastUsed => Volatile.Read(ref _lastUsed);

    public void Touch(long timestamp) => Volatile.Write(ref _lastUsed, timestamp);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Handler.Dispose();
            Source.Dispose();
        }
    }
}
