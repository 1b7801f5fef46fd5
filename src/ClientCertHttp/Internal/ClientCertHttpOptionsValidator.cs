using Microsoft.Extensions.Options;

namespace ClientCertHttp.Internal;

/// <summary>
/// Validates a client's options and loads its certificate and trust anchors, so that every problem fails startup
/// (with <c>ValidateOnStart</c>) instead of the first request. Throws <see cref="ClientCertificateException"/> rather
/// than returning a failure so callers get the typed exception; the host's startup validation collects it together
/// with the other clients' problems.
/// </summary>
internal sealed class ClientCertHttpOptionsValidator(
    ClientCertHttpClientRegistry registry,
    ClientTlsStateCache cache) : IValidateOptions<ClientCertHttpOptions>
{
    public ValidateOptionsResult Validate(string? name, ClientCertHttpOptions options)
    {
        if (name is null || !registry.Contains(name))
        {
            return ValidateOptionsResult.Skip;
        }

        var names = SettingNames.For(name, options);
        var problems = new List<ClientCertificateException>();

        foreach (var error in options.ConfigurationErrors ?? [])
        {
            problems.Add(new ClientCertificateException(name, ClientCertificateFailureReason.InvalidConfiguration, $"{names.Prefix}: {error}"));
        }

        if (options.BaseAddress is { } baseAddress
            && (!baseAddress.IsAbsoluteUri || !string.Equals(baseAddress.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase)))
        {
            problems.Add(new ClientCertificateException(
                name,
                ClientCertificateFailureReason.InvalidConfiguration,
                $"{names.Prefix}: {names["BaseAddress"]} must be an absolute https URI; a client certificate is only sent over TLS."));
        }

        ValidateRetry(name, names, options.Retry, problems);

        if (options.Certificate is null || string.IsNullOrWhiteSpace(options.Certificate.Path))
        {
            problems.Add(new ClientCertificateException(
                name,
                ClientCertificateFailureReason.NoCertificateConfigured,
                $"{names.Prefix} has no client certificate configured, so it would connect without one. Set {names["Certificate:Path"]} (and {names["Certificate:Password"]}) to a PKCS#12 (.pfx/.p12) file."));
        }

        if (problems.Count == 0 || problems.TrueForAll(p => p.Reason == ClientCertificateFailureReason.InvalidConfiguration))
        {
            // Load even when keys are misspelled: a misspelled Password also shows up as a password problem, and both
            // belong in the same report.
            if (options.Certificate is not null && !string.IsNullOrWhiteSpace(options.Certificate.Path))
            {
                try
                {
                    cache.GetOrCreate(name, options);
                }
                catch (ClientCertificateException ex)
                {
                    problems.Add(ex);
                }
            }
        }

        if (problems.Count > 0)
        {
            throw ClientCertificateException.Combine(name, problems);
        }

        return ValidateOptionsResult.Success;
    }

    private static void ValidateRetry(string name, SettingNames names, ClientCertHttpRetryOptions? retry, List<ClientCertificateException> problems)
    {
        void Problem(string message) =>
            problems.Add(new ClientCertificateException(name, ClientCertificateFailureReason.InvalidConfiguration, $"{names.Prefix}: {message}"));

        if (retry is null)
        {
            Problem("Retry is null; leave it at its default or set Retry:Enabled to false.");
            return;
        }

        // The ranges are Polly's own (RetryStrategyOptions, TimeoutStrategyOptions), checked here so that a wrong value
        // fails startup with the key's name rather than the first request.
        if (retry.MaxRetryAttempts < 1)
        {
            Problem($"{names["Retry:MaxRetryAttempts"]} is {retry.MaxRetryAttempts}; it must be at least 1 (set {names["Retry:Enabled"]} to false for no retries).");
        }

        if (retry.Delay < TimeSpan.Zero || retry.Delay > TimeSpan.FromDays(1))
        {
            Problem($"{names["Retry:Delay"]} is {retry.Delay}; it must be between 00:00:00 and 1.00:00:00.");
        }

        if (retry.MaxDelay is { } maxDelay && (maxDelay < retry.Delay || maxDelay > TimeSpan.FromDays(1)))
        {
            Problem($"{names["Retry:MaxDelay"]} is {maxDelay}; it must be at least {names["Retry:Delay"]} ({retry.Delay}) and at most 1.00:00:00.");
        }

        if (!Enum.IsDefined(retry.BackoffType))
        {
            Problem($"{names["Retry:BackoffType"]} has the unknown value {(int)retry.BackoffType}; use Constant, Linear or Exponential.");
        }

        var minimumTimeout = TimeSpan.FromMilliseconds(10);
        var maximumTimeout = TimeSpan.FromDays(1);
        if (retry.AttemptTimeout < minimumTimeout || retry.AttemptTimeout > maximumTimeout)
        {
            Problem($"{names["Retry:AttemptTimeout"]} is {retry.AttemptTimeout}; it must be between 00:00:00.010 and 1.00:00:00.");
        }

        if (retry.TotalTimeout < minimumTimeout || retry.TotalTimeout > maximumTimeout)
        {
            Problem($"{names["Retry:TotalTimeout"]} is {retry.TotalTimeout}; it must be between 00:00:00.010 and 1.00:00:00.");
        }
        else if (retry.TotalTimeout < retry.AttemptTimeout)
        {
            Problem($"{names["Retry:TotalTimeout"]} ({retry.TotalTimeout}) is shorter than {names["Retry:AttemptTimeout"]} ({retry.AttemptTimeout}), so no attempt could use its full time; make the total timeout at least as long.");
        }
    }
}
