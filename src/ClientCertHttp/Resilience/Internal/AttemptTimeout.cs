using System.Collections.Concurrent;
using Polly.Timeout;

namespace ClientCertHttp.Resilience;

/// <summary>
/// The timeout of a request's first attempt, which <see cref="RetryOutcomeHandler"/> sends itself, outside the retry
/// pipeline: a pooled <see cref="CancellationTokenSource"/> that cancels after <c>Retry:AttemptTimeout</c> or when the
/// caller cancels. What Polly's timeout strategy does per attempt, without its async frame.
/// </summary>
/// <remarks>
/// A source is returned to the pool only when it was not canceled (<see cref="CancellationTokenSource.TryReset"/>
/// also stops its timer), so the next attempt reuses its timer too: a successful attempt allocates only the caller
/// token's registration node. A <see cref="TimeProvider"/> other than the system's (a fake clock in tests) gets a
/// source of its own each time, created by that provider, as Polly does.
/// </remarks>
internal struct AttemptTimeout : IDisposable
{
    private const int MaxPooled = 256;

    private static readonly ConcurrentQueue<CancellationTokenSource> Pool = new();
    private static int s_pooled;

    private readonly bool _pooled;
    private CancellationTokenSource? _source;
    private readonly CancellationTokenRegistration _callerRegistration;

    private AttemptTimeout(CancellationTokenSource source, bool pooled, CancellationToken callerToken)
    {
        _source = source;
        _pooled = pooled;
        _callerRegistration = callerToken.CanBeCanceled
            ? callerToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), source)
            : default;
    }

    /// <summary>Gets the token the attempt is sent with.</summary>
    public readonly CancellationToken Token => _source!.Token;

    /// <summary>Starts the timeout of one attempt.</summary>
    public static AttemptTimeout Start(TimeSpan timeout, TimeProvider timeProvider, CancellationToken callerToken)
    {
        if (!ReferenceEquals(timeProvider, TimeProvider.System))
        {
            return new AttemptTimeout(new CancellationTokenSource(timeout, timeProvider), pooled: false, callerToken);
        }

        if (Pool.TryDequeue(out var source))
        {
            Interlocked.Decrement(ref s_pooled);
        }
        else
        {
            source = new CancellationTokenSource();
        }

        source.CancelAfter(timeout);
        return new AttemptTimeout(source, pooled: true, callerToken);
    }

    /// <summary>
    /// Tells whether <paramref name="exception"/> is this attempt's timeout (not the caller's cancellation), and if so
    /// gives the exception Polly's attempt timeout would have thrown.
    /// </summary>
    public readonly bool TimedOut(Exception exception, TimeSpan timeout, CancellationToken callerToken, out TimeoutRejectedException? rejected)
    {
        if (exception is OperationCanceledException && _source!.IsCancellationRequested && !callerToken.IsCancellationRequested)
        {
            rejected = Rejected(timeout, exception);
            return true;
        }

        rejected = null;
        return false;
    }

    /// <summary>The exception Polly's timeout strategy throws, for <paramref name="timeout"/>.</summary>
    public static TimeoutRejectedException Rejected(TimeSpan timeout, Exception innerException) =>
        new($"The operation didn't complete within the allowed timeout of '{timeout}'.", timeout, innerException);

    /// <summary>Unregisters from the caller's token and returns the source to the pool, or disposes it.</summary>
    public void Dispose()
    {
        if (_source is not { } source)
        {
            return;
        }

        _source = null;

        // Dispose, not Unregister: it waits for a cancellation callback that is running, so the source is not reset under it.
        _callerRegistration.Dispose();
        if (_pooled && source.TryReset())
        {
            if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
            {
                Pool.Enqueue(source);
                return;
            }

            Interlocked.Decrement(ref s_pooled);
        }

        source.Dispose();
    }
}
