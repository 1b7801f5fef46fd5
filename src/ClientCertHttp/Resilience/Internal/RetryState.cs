using System.Net.Http;
using ClientCertHttp.Certificates;
using ClientCertHttp.Resilience;

namespace ClientCertHttp.Resilience;

/// <summary>
/// What the retry pipeline learned about one request, carried in <see cref="HttpRequestMessage.Options"/> from the
/// pipeline's predicate to <see cref="RetryOutcomeHandler"/>, which reports the final failure.
/// </summary>
internal sealed class RetryState
{
    public static readonly HttpRequestOptionsKey<RetryState> Key = new("ClientCertHttp.RetryState");

    private int _attempts;
    private Task<HttpResponseMessage>? _firstOutcome;

    /// <summary>Gets the number of attempts whose outcome the pipeline saw.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Gets the classification of the last outcome.</summary>
    public HttpFailureClassification? LastClassification { get; private set; }

    /// <summary>Gets the exception of the last outcome, to recognize it when it reaches the caller.</summary>
    public Exception? LastException { get; private set; }

    /// <summary>Gets or sets why a transient failure was not retried, or <see langword="null"/>.</summary>
    public string? NotRetriedBecause { get; set; }

    /// <summary>Gets or sets a value indicating whether the certificate was reloaded after a rejection (at most once per request).</summary>
    public bool ReloadAttempted { get; set; }

    /// <summary>Gets or sets a value indicating whether that reload put a different certificate in use.</summary>
    public bool ReloadChangedCertificate { get; set; }

    /// <summary>Gets or sets a value indicating whether the next attempt follows a reload and goes without delay.</summary>
    public bool RetryAfterReload { get; set; }

    /// <summary>Gets or sets the source the request's certificate comes from: the client's, or its identity's.</summary>
    public ClientCertificateSource? Source { get; set; }

    /// <summary>Gets or sets the TLS state in use when the request started: the certificate a rejection is about.</summary>
    public ClientTlsState? StateAtStart { get; set; }

    /// <summary>Gets or sets <see cref="ClientCertificateSource.LoadsStarted"/> when the request started.</summary>
    public long LoadsStartedAtStart { get; set; }

    /// <summary>Gets or sets the <see cref="TimeProvider.GetTimestamp"/> when the request's first attempt started.</summary>
    public long? StartedAt { get; set; }

    /// <summary>Gets or sets a value indicating whether the pipeline's total timeout ended the request.</summary>
    public bool TotalTimedOut { get; set; }

    /// <summary>
    /// Sets the outcome of the first attempt, sent past the pipeline, for <see cref="FirstAttemptReplayHandler"/> to
    /// hand to the pipeline's first attempt.
    /// </summary>
    public void SetFirstOutcome(HttpResponseMessage? response, Exception? exception) =>
        _firstOutcome = exception is null ? Task.FromResult(response!) : Task.FromException<HttpResponseMessage>(exception);

    /// <summary>Returns the first attempt's outcome once (a request snapshot shares this state), then <see langword="null"/>.</summary>
    public Task<HttpResponseMessage>? TakeFirstOutcome() => Interlocked.Exchange(ref _firstOutcome, null);

    public void Record(HttpFailureClassification classification, Exception? exception)
    {
        Interlocked.Increment(ref _attempts);
        LastClassification = classification;
        LastException = exception;
    }

    public static RetryState? From(HttpRequestMessage? request) =>
        request is not null && request.Options.TryGetValue(Key, out var state) ? state : null;
}
