using System.Security.Cryptography;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using Microsoft.Extensions.Primitives;

namespace ClientCertHttp.Certificates;

/// <summary>Change watching: certificate and trust files (polled), certificate stores (refreshed) and the provider's change token.</summary>
internal sealed partial class ClientCertificateSource
{
    /// <summary>How often a certificate-store source is queried again (stores have no change notification on Linux).</summary>
    internal static readonly TimeSpan StoreRefreshInterval = TimeSpan.FromMinutes(1);

    private byte[] _seenFingerprint = [];
    private byte[]? _pendingFingerprint;
    private ITimer? _pollTimer;
    private TimeSpan _pollPeriod;
    private int _polling;
    private DateTimeOffset _lastStoreRefresh;
    private IDisposable? _providerSubscription;

    // Set when the provider's GetChangeToken threw: the watch is started again after the next successful reload.
    private bool _providerWatchBroken;

    /// <summary>
    /// Checks the watched files (or the store) once, and reloads inline when they changed: the caller is the poll
    /// timer (or a test), never a request.
    /// </summary>
    internal void Poll()
    {
        lock (_gate)
        {
            if (_disposed || _current is not { } || _options is not { Reload.Enabled: true } options)
            {
                return;
            }

            if (!string.IsNullOrWhiteSpace(options.Certificate?.Store) || !string.IsNullOrWhiteSpace(options.Certificate?.Subject))
            {
                var now = _timeProvider.GetUtcNow();
                if (now - _lastStoreRefresh >= StoreRefreshInterval)
                {
                    _lastStoreRefresh = now;
                    ReloadNow(ClientCertHttpMetricValues.StoreRefreshTrigger);
                }

                return;
            }

            var fingerprint = Fingerprint(options);
            if (fingerprint.AsSpan().SequenceEqual(_seenFingerprint))
            {
                _pendingFingerprint = null;
                return;
            }

            // A change is applied only once the content is the same on two polls in a row: a file still being written
            // is never loaded, and never replaces the good certificate.
            if (_pendingFingerprint is not null && fingerprint.AsSpan().SequenceEqual(_pendingFingerprint))
            {
                _pendingFingerprint = null;
                ReloadNow(ClientCertHttpMetricValues.FileChangeTrigger);
                return;
            }

            _pendingFingerprint = fingerprint;
        }
    }

    /// <summary>A hash of the content of every file the client's certificate and trust settings are read from.</summary>
    internal static byte[] Fingerprint(ClientCertHttpOptions options)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in WatchedFiles(options))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(path));
            try
            {
                var info = new FileInfo(path);
                // Never opens what reports no size (a FIFO would block the poll), nor reads past the cap.
                if (info.Exists && info.Length > 0 && info.Length <= CertificateFile.MaxFileSize)
                {
                    hash.AppendData(File.ReadAllBytes(path));
                }
                else
                {
                    hash.AppendData(BitConverter.GetBytes(info.Exists ? info.Length : -1));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Unreadable right now (being replaced): hashed as such, and read again at the next poll.
                hash.AppendData(BitConverter.GetBytes(-2L));
            }
        }

        return hash.GetHashAndReset();
    }

    internal static IEnumerable<string> WatchedFiles(ClientCertHttpOptions options)
    {
        var certificate = options.Certificate;
        // The password file is watched with the certificate it opens; the credential bundle is read through the
        // kubelet's ..data link by its plain name, like the secret folder's files.
        foreach (var path in new[] { certificate?.Path, certificate?.KeyPath, certificate?.ChainPath, certificate?.CredentialBundlePath, certificate?.PasswordFile })
        {
            if (!string.IsNullOrWhiteSpace(path))
            {
                yield return CertificateFile.ResolvePath(path);
            }
        }

        if (!string.IsNullOrWhiteSpace(certificate?.Directory))
        {
            // Opened by their plain names, which follow the kubelet's ..data link to the current timestamped folder.
            var folder = CertificateFile.ResolvePath(certificate.Directory);
            yield return Path.Combine(folder, DirectoryCertificateLoader.CertificateFileName);
            yield return Path.Combine(folder, DirectoryCertificateLoader.KeyFileName);
        }

        foreach (var path in new[] { options.ServerTrust?.RootCertificatesPath, options.ServerTrust?.IntermediateCertificatesPath })
        {
            if (!string.IsNullOrWhiteSpace(path))
            {
                yield return CertificateFile.ResolvePath(path);
            }
        }
    }

    /// <summary>Starts the poll timer and the provider subscription, after the first load (under the gate).</summary>
    private void StartWatching(ClientCertHttpOptions options)
    {
        _lastStoreRefresh = _timeProvider.GetUtcNow();
        if (_provider is not null)
        {
            var context = new CertificateProviderContext(ClientName, options.Certificate);
            _providerSubscription = ChangeToken.OnChange(() => ProviderChangeToken(context), OnProviderChanged);
        }

        CheckExpiry();
        _pollPeriod = options.Reload.PollInterval;
        _pollTimer = _timeProvider.CreateTimer(static state => ((ClientCertificateSource)state!).OnPollTimer(), this, _pollPeriod, _pollPeriod);
    }

    /// <summary>Starts the provider's watch again after a successful reload, when its GetChangeToken had thrown (under the gate).</summary>
    private void RewatchProviderIfBroken(ClientCertHttpOptions options)
    {
        if (_provider is null || !Volatile.Read(ref _providerWatchBroken) || _disposed)
        {
            return;
        }

        Volatile.Write(ref _providerWatchBroken, false);
        _providerSubscription?.Dispose();
        var context = new CertificateProviderContext(ClientName, options.Certificate);
        _providerSubscription = ChangeToken.OnChange(() => ProviderChangeToken(context), OnProviderChanged);
    }

    private void RestartPolling(ClientCertHttpOptions options)
    {
        if (_pollTimer is not null && _pollPeriod != options.Reload.PollInterval)
        {
            _pollPeriod = options.Reload.PollInterval;
            _pollTimer.Change(_pollPeriod, _pollPeriod);
        }
    }

    private void StopWatching()
    {
        _pollTimer?.Dispose();
        _providerSubscription?.Dispose();
    }

    private IChangeToken ProviderChangeToken(CertificateProviderContext context)
    {
        try
        {
            return _provider!.GetChangeToken(context) ?? NeverChangeToken.Instance;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Thrown into the provider's own thread otherwise (ChangeToken.OnChange asks again after each change).
            Log.CertificateProviderWatchFailed(_logger, ClientName, ex.GetType().FullName ?? ex.GetType().Name);
            Volatile.Write(ref _providerWatchBroken, true);
            return NeverChangeToken.Instance;
        }
    }

    private void OnProviderChanged()
    {
        // Runs on the thread that fired the provider's token: only schedules.
        if (Options.Reload.Enabled)
        {
            _ = Schedule(ClientCertHttpMetricValues.ProviderChangeTrigger, joinOnly: false, loadsStartedBefore: -1);
        }
    }

    private void OnPollTimer()
    {
        if (Interlocked.Exchange(ref _polling, 1) == 1)
        {
            return;
        }

        try
        {
            Poll();
            lock (_gate)
            {
                if (!_disposed)
                {
                    CheckExpiry();
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A timer callback must never take the process down; reload failures are handled (and logged) inside.
            Log.ClientCertificateReloadFailed(_logger, ClientName, ClientCertHttpMetricValues.FileChangeTrigger, _current?.Thumbprint ?? string.Empty, $"the file watch threw {ex.GetType().FullName}.");
        }
        finally
        {
            Volatile.Write(ref _polling, 0);
        }
    }
}
