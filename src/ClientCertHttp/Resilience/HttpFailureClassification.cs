namespace ClientCertHttp.Resilience;

/// <summary>
/// The result of classifying one HTTP request outcome: its <see cref="Category"/> and a human-readable account of
/// the evidence.
/// </summary>
public sealed class HttpFailureClassification
{
    /// <summary>
    /// Initializes a new instance of the <see cref="HttpFailureClassification"/> class.
    /// </summary>
    /// <param name="category">The kind of failure.</param>
    /// <param name="description">What was observed, for logs and messages (for example "the server sent the TLS alert 'unknown ca'").</param>
    /// <exception cref="ArgumentNullException"><paramref name="description"/> is <see langword="null"/>.</exception>
    public HttpFailureClassification(HttpFailureCategory category, string description)
    {
        ArgumentNullException.ThrowIfNull(description);
        Category = category;
        Description = description;
    }

    /// <summary>Gets the kind of failure.</summary>
    public HttpFailureCategory Category { get; }

    /// <summary>Gets what was observed, in words (never a secret).</summary>
    public string Description { get; }

    /// <summary>Gets a value indicating whether the failure is transient, that is worth retrying.</summary>
    public bool IsTransient => Category == HttpFailureCategory.Transient;

    /// <inheritdoc/>
    public override string ToString() => $"{Category}: {Description}";
}
