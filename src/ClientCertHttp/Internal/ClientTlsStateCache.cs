using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Trust;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Internal;

/// <summary>
/// Loads each client's certificate and trust settings once per options instance (so once at startup, and again
/// only when the options change) and hands the same TLS state to every handler the factory builds.
/// </summary>
internal sealed class ClientTlsStateCache : IDisposable
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Entry> _replaced = [];
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ClientCertHttpClientRegistry? _registry;
    private readonly IServiceProvider? _services;

    public ClientTlsStateCache(TimeProvider timeProvider, ILoggerFactory loggerFactory, ClientCertHttpClientRegistry? registry = null, IServiceProvider? services = null)
    {
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger(Log.CategoryName);
        _registry = registry;
        _services = services;
    }

    /// <summary>Gets the TLS state for the client, loading it when the options instance is new.</summary>
    /// <exception cref="ClientCertificateException">The certificate or the trust settings cannot be used.</exception>
    public ClientTlsState GetOrCreate(string clientName, ClientCertHttpOptions options)
    {
        if (_entries.TryGetValue(clientName, out var current) && ReferenceEquals(current.Options, options))
        {
            return current.State.Value;
        }

        var candidate = new Entry(options, new Lazy<ClientTlsState>(() => Create(clientName, options)));
        var entry = _entries.AddOrUpdate(
            clientName,
            candidate,
            (_, existing) =>
            {
                if (ReferenceEquals(existing.Options, options))
                {
                    return existing;
                }

                // Handlers built from the old state may still have connections in flight, so it is kept until the
                // cache is disposed rather than disposed under them.
                _replaced.Add(existing);
                return candidate;
            });

        try
        {
            return entry.State.Value;
        }
        catch (ClientCertificateException)
        {
            // Forget the failure so a corrected file is picked up by the next attempt.
            _entries.TryRemove(KeyValuePair.Create(clientName, entry));
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var entry in _entries.Values.Concat(_replaced))
        {
            if (entry.State.IsValueCreated)
            {
                entry.State.Value.Dispose();
            }
        }

        _entries.Clear();
    }

    private ClientTlsState Create(string clientName, ClientCertHttpOptions options)
    {
        var names = SettingNames.For(clientName, options);
        var problems = new List<ClientCertificateException>();
        var chainPolicy = ServerTrustPolicy.Create(names, options.ServerTrust ?? new ServerTrustOptions(), problems);

        LoadedClientCertificate? certificate = null;
        try
        {
            try
            {
                var certificateOptions = options.Certificate ?? new ClientCertificateOptions();
                var sources = CertificateSources.Configured(certificateOptions, _registry?.ProviderCount(clientName) ?? 0);
                if (sources.Count != 1)
                {
                    // The validator reports this with the full explanation before the cache is ever asked.
                    throw new ClientCertificateException(
                        clientName,
                        sources.Count == 0 ? ClientCertificateFailureReason.NoCertificateConfigured : ClientCertificateFailureReason.MultipleCertificateSources,
                        $"{names.Prefix} needs exactly one certificate source; {sources.Count} are configured.");
                }

                var context = new CertificateLoadContext(names, certificateOptions, _timeProvider.GetUtcNow(), _logger, _services);
                certificate = CertificateSourceLoader.Load(context, sources[0].Kind);
            }
            catch (ClientCertificateException ex)
            {
                problems.Add(ex);
            }

            if (problems.Count > 0 || certificate is null)
            {
                DisposeRoots(chainPolicy);
                throw ClientCertificateException.Combine(clientName, problems);
            }

            var state = new ClientTlsState(certificate, chainPolicy);
            certificate = null;
            LogLoaded(clientName, state.Certificate, chainPolicy);
            return state;
        }
        finally
        {
            certificate?.Dispose();
        }
    }

    private static void DisposeRoots(X509ChainPolicy? chainPolicy)
    {
        foreach (var root in chainPolicy?.CustomTrustStore ?? [])
        {
            root.Dispose();
        }
    }

    private void LogLoaded(string clientName, LoadedClientCertificate loaded, X509ChainPolicy? chainPolicy)
    {
        var leaf = loaded.Certificate;
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var sent = string.Join(" <- ", loaded.Context.IntermediateCertificates.Select(c => $"'{c.Subject}'").Prepend($"'{leaf.Subject}'"));
            Log.ClientCertificateLoaded(_logger, clientName, loaded.Source, leaf.Subject, leaf.Thumbprint, new DateTimeOffset(leaf.NotAfter.ToUniversalTime()), loaded.ChainLength, sent);
        }

        if (chainPolicy is not null && _logger.IsEnabled(LogLevel.Information))
        {
            var roots = chainPolicy.CustomTrustStore;
            var subjects = string.Join(", ", roots.Select(r => $"'{r.Subject}'"));
            Log.ServerTrustCustomRoots(_logger, clientName, roots.Count, subjects);
        }
    }

    private sealed record Entry(ClientCertHttpOptions Options, Lazy<ClientTlsState> State);
}
