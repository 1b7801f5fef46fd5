using System.Collections.Concurrent;
using ClientCertHttp.Testing;

namespace ClientCertHttp.TestUtilities;

/// <summary>
/// Sends requests without pause while a test rotates a certificate on disk, and records every failure and every
/// certificate the server saw, so a test can assert that the rotation failed no request.
/// </summary>
public sealed class RequestsDuringRotation : IAsyncDisposable
{
    // Bounds the loop even when the test never stops it: 2,000 requests 20 ms apart cover any rotation wait (10 s).
    private const int MaxRequests = 2_000;
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(20);

    private readonly ConcurrentQueue<Exception> _failures = new();
    private readonly ConcurrentDictionary<string, int> _seen = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _count;

    private RequestsDuringRotation(Func<Task<MtlsRequestReport>> whoAmI) => _loop = Task.Run(() => RunAsync(whoAmI));

    /// <summary>Gets the failed requests (their exceptions), in order.</summary>
    public IReadOnlyCollection<Exception> Failures => _failures;

    /// <summary>Gets the thumbprints of the client certificates the server saw.</summary>
    public IReadOnlyCollection<string> Thumbprints => (IReadOnlyCollection<string>)_seen.Keys;

    /// <summary>Gets how many requests completed (successfully or not).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Starts sending requests on the thread pool.</summary>
    /// <param name="whoAmI">Sends one request and reads the server's report.</param>
    /// <returns>The running loop; dispose it (or call <see cref="StopAsync"/>) to stop.</returns>
    public static RequestsDuringRotation Start(Func<Task<MtlsRequestReport>> whoAmI)
    {
        ArgumentNullException.ThrowIfNull(whoAmI);
        return new RequestsDuringRotation(whoAmI);
    }

    /// <summary>Stops the loop after the request in flight and waits for it.</summary>
    /// <returns>A task that completes when the loop has stopped.</returns>
    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(Func<Task<MtlsRequestReport>> whoAmI)
    {
        while (!_stop.IsCancellationRequested && Count < MaxRequests)
        {
            try
            {
                var report = await whoAmI().ConfigureAwait(false);
                _seen.TryAdd(report.Thumbprint ?? string.Empty, 0);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException or InvalidOperationException)
            {
                _failures.Enqueue(ex);
            }

            Interlocked.Increment(ref _count);
            try
            {
                await Task.Delay(Pause, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
