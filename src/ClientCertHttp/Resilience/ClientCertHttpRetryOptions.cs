using Polly;

namespace ClientCertHttp.Resilience;

/// <summary>
/// Settings of the retry pipeline that every client-certificate HTTP client gets by default, bound from the client's
/// <c>Retry</c> configuration section. The names are Polly's own (<c>MaxRetryAttempts</c>, <c>Delay</c>,
/// <c>BackoffType</c>, …), so what is known about <c>AddStandardResilienceHandler</c> carries over.
/// </summary>
/// <remarks>
/// <para>
/// The pipeline is, from the outside in: a total timeout (<see cref="TotalTimeout"/>), a retry
/// (<see cref="MaxRetryAttempts"/> retries of transient failures, honouring <c>Retry-After</c> on 429 and 503), and a
/// timeout per attempt (<see cref="AttemptTimeout"/>). What counts as transient is decided by
/// <see cref="Resilience.HttpFailureClassifier"/>: certificate and trust failures are never retried.
/// </para>
/// <para>
/// The options are read when the factory builds a handler and follow configuration reloads.
/// </para>
/// </remarks>
public sealed class ClientCertHttpRetryOptions
{
    /// <summary>
    /// Gets or sets a value indicating whether the client's retry pipeline is on. Turn it off to use
    /// <c>AddStandardResilienceHandler()</c> or a pipeline of your own (with <see cref="Resilience.HttpFailureClassifier"/>
    /// as its predicate) instead.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Gets or sets the maximum number of retries after the first attempt.
    /// </summary>
    /// <value>The default value is 3 (Polly's default): four attempts at most.</value>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>
    /// Gets or sets the base delay between attempts, shaped by <see cref="BackoffType"/> and <see cref="UseJitter"/>.
    /// </summary>
    /// <value>
    /// The default value is 200 milliseconds: long enough for a restarting instance behind a load balancer to be taken
    /// out of rotation, short enough that three exponential retries stay well inside <see cref="TotalTimeout"/>.
    /// </value>
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Gets or sets how the delay grows from one retry to the next.
    /// </summary>
    /// <value>The default value is <see cref="DelayBackoffType.Exponential"/>, as in the standard resilience handler.</value>
    public DelayBackoffType BackoffType { get; set; } = DelayBackoffType.Exponential;

    /// <summary>
    /// Gets or sets a value indicating whether the delays are randomized, so that many clients failing together do
    /// not retry together.
    /// </summary>
    /// <value>The default value is <see langword="true"/>, as in the standard resilience handler.</value>
    public bool UseJitter { get; set; } = true;

    /// <summary>
    /// Gets or sets the longest delay between two attempts, or <see langword="null"/> for no cap.
    /// </summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan? MaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how long one attempt may take before it is abandoned (and retried, a timeout being transient).
    /// </summary>
    /// <value>The default value is 10 seconds, as in the standard resilience handler.</value>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets how long a request may take in all, attempts and delays included. Must not be shorter than
    /// <see cref="AttemptTimeout"/>.
    /// </summary>
    /// <value>The default value is 30 seconds, as in the standard resilience handler.</value>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets a value indicating whether requests with methods that are not idempotent (POST, PATCH and any
    /// other method than GET, HEAD, OPTIONS, TRACE, PUT and DELETE) are retried too.
    /// </summary>
    /// <value>
    /// The default value is <see langword="false"/>: a POST that timed out may have been processed, and sending it
    /// again could, for example, pay twice. Opt in only for endpoints that deduplicate (idempotency keys).
    /// </value>
    public bool RetryNonIdempotentMethods { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a client certificate rejected by the server triggers one reload of the
    /// certificate and, if the reload yields a different certificate, exactly one more attempt.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    /// <remarks>
    /// The reload reads the client's certificate source again (the file, store, secret folder or provider): when it
    /// holds a renewed certificate, the next attempt presents it. Concurrent rejections of one client share one reload.
    /// When the source still holds the rejected certificate, the request fails after that one attempt with a
    /// <see cref="ClientCertHttpRequestException"/> that names the certificate. A request is never retried twice for a
    /// rejection, and its content must be replayable.
    /// </remarks>
    public bool ReloadAndRetryOnCertificateRejection { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether an HTTP 403 (Forbidden) response means that the server rejected the
    /// client certificate, as with servers that accept any certificate in the handshake and authorize it afterwards.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: a 403 is an ordinary, non-transient response.</value>
    public bool TreatForbiddenAsCertificateRejection { get; set; }
}
