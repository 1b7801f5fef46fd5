using ClientCertHttp.Certificates;
using ClientCertHttp.DependencyInjection;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Identities;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClientCertHttp.Warmup;

/// <summary>
/// Opens and handshakes <see cref="ClientCertHttpWarmupOptions.Connections"/> connections per client when the host
/// starts, and again after every reload that changed a client's certificate, so that the first real request finds a
/// connection ready instead of paying for a full mutual-TLS handshake.
/// </summary>
/// <remarks>
/// The warm-up sends concurrent <c>HEAD</c> requests to the client's base address through the client the factory
/// creates, so the connections land in the very handler later requests use. It never throws: start waits at most
/// <see cref="ClientCertHttpWarmupOptions.Timeout"/>, and failures are logged.
/// </remarks>
internal sealed class ConnectionWarmupService(
    ClientCertHttpClientRegistry registry,
    ClientCertificateSources sources,
    IHttpClientFactory httpClientFactory,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory) : IHostedService, IDisposable
{
    internal const string StartupTrigger = "startup";
    internal const string RotationTrigger = "certificate_rotation";

    private readonly ILogger _logger = loggerFactory.CreateLogger(ClientCertHttp.Diagnostics.Log.CategoryName);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private readonly List<ClientCertificateSource> _subscribed = [];
    private readonly HashSet<Task> _rewarming = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var warmups = new List<Task>();
        foreach (var name in registry.Names)
        {
            var entry = sources.Get(name);
            try
            {
                // Already loaded by the startup step (ValidateOnStart); this only makes sure.
                entry.Start();
            }
            catch (OptionsValidationException ex)
            {
                Log.WarmupSkipped(_logger, name, ex.Message);
                continue;
            }

            lock (_lock)
            {
                entry.CertificateChanged += OnCertificateChanged;
                _subscribed.Add(entry);
            }

            if (entry.Options.Warmup is { Connections: > 0 })
            {
                // The client's own certificate, when it has one, and each identity of its fixed set (Identities:
                // Certificates), loaded here by its first warm-up request. Directory and provider identities are
                // not known before their first request.
                if (entry.Current.Certificate is not null)
                {
                    warmups.Add(WarmUpAsync(name, entry.Options, StartupTrigger, cancellationToken));
                }

                foreach (var identity in entry.Options.Identities?.Certificates.Keys ?? Enumerable.Empty<string>())
                {
                    warmups.Add(WarmUpAsync(name, entry.Options, StartupTrigger, cancellationToken, identity));
                }
            }
        }

        await Task.WhenAll(warmups).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task[] running;
        lock (_lock)
        {
            Unsubscribe();
            running = [.. _rewarming];
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            // Warm-ups observe the cancellation at once; this only lets them log and release their client.
            await Task.WhenAll(running).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The host's stop timeout elapsed; the warm-ups end on their own.
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            Unsubscribe();
        }

        _stopping.Cancel();
        _stopping.Dispose();
    }

    /// <summary>Warms up one client; completes within the client's warm-up timeout and never throws.</summary>
    internal async Task WarmUpAsync(string clientName, ClientCertHttpOptions options, string trigger, CancellationToken cancellationToken, string? identity = null)
    {
        var warmup = options.Warmup;
        var baseAddress = options.BaseAddress;
        if (warmup is not { Connections: > 0 } || baseAddress is null)
        {
            return;
        }

        // As logged: without user information or query; an identity's warm-up names the identity.
        var target = identity is null ? LoggedUri.Describe(baseAddress)! : $"{LoggedUri.Describe(baseAddress)} as identity '{identity}'";
        var started = timeProvider.GetTimestamp();
        CancellationToken stopping;
        try
        {
            stopping = _stopping.Token;
        }
        catch (ObjectDisposedException)
        {
            // A rotation raced with the host's shutdown: nothing to warm any more.
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        timeout.CancelAfter(warmup.Timeout);
        try
        {
            using var client = httpClientFactory.CreateClient(clientName);
            var attempts = new Task<Exception?>[warmup.Connections];

            // Started together, so the pool sees that many requests waiting and opens one connection for each.
            for (var i = 0; i < attempts.Length; i++)
            {
                attempts[i] = OpenConnectionAsync(client, baseAddress, warmup.HttpVersion, identity, timeout.Token);
            }

            var failures = (await Task.WhenAll(attempts).ConfigureAwait(false)).OfType<Exception>().ToList();
            var elapsed = timeProvider.GetElapsedTime(started);
            if (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested && !stopping.IsCancellationRequested)
            {
                Log.WarmupTimedOut(_logger, clientName, attempts.Length - failures.Count, attempts.Length, target, warmup.Timeout, trigger);
            }
            else if (failures.Count > 0)
            {
                Log.WarmupFailed(_logger, failures[0], clientName, failures.Count, attempts.Length, target, trigger, failures[0].Message);
            }
            else
            {
                Log.WarmupCompleted(_logger, clientName, attempts.Length, target, elapsed.TotalMilliseconds, trigger);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Creating the client runs the user's handler configuration; a warm-up must never fail the host for it.
            Log.WarmupFailed(_logger, ex, clientName, warmup.Connections, warmup.Connections, target, trigger, ex.Message);
        }
    }

    private static async Task<Exception?> OpenConnectionAsync(HttpClient client, Uri baseAddress, Version? httpVersion, string? identity, CancellationToken cancellationToken)
    {
        try
        {
            // HEAD: no body to read or discard. The status does not matter, only that the handshake is done. The
            // version decides the kind of connection (HTTP/1.1 or HTTP/2) that is left warm in the pool.
            using var request = new HttpRequestMessage(HttpMethod.Head, baseAddress)
            {
                Version = httpVersion ?? client.DefaultRequestVersion,
                VersionPolicy = client.DefaultVersionPolicy,
            };
            if (identity is not null)
            {
                // Over the identity's own connection pool, with its certificate: the connection its requests will reuse.
                request.SetClientCertificateIdentity(identity);
            }

            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ex;
        }
    }

    private void OnCertificateChanged(ClientCertificateSource entry)
    {
        // Raised under the source's load gate: only schedule the work.
        var options = entry.Options;
        if (options.Warmup is not { Connections: > 0 } || _stopping.IsCancellationRequested)
        {
            return;
        }

        lock (_lock)
        {
            var task = Task.Run(() => WarmUpAsync(entry.ClientName, options, RotationTrigger, CancellationToken.None));
            _rewarming.Add(task);
            _ = task.ContinueWith(
                completed =>
                {
                    lock (_lock)
                    {
                        _rewarming.Remove(completed);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private void Unsubscribe()
    {
        foreach (var entry in _subscribed)
        {
            entry.CertificateChanged -= OnCertificateChanged;
        }

        _subscribed.Clear();
    }
}
