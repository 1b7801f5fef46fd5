using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;

namespace ClientCertHttp.Certificates;

/// <summary>
/// Loads a certificate from the client's <see cref="ICertificateProvider"/>.
/// </summary>
/// <remarks>
/// Startup validation is synchronous (<c>IValidateOptions</c>), so the provider's task is waited for here. It runs on
/// the thread pool (<see cref="Task.Run(Func{Task})"/>), so a synchronization context of the caller cannot deadlock
/// it, and the wait is bounded by <see cref="ClientCertificateOptions.ProviderTimeout"/>: the token passed to the
/// provider is cancelled then, and startup fails even if the provider ignores the token.
/// </remarks>
internal static class ProviderCertificateLoader
{
    public static LoadedClientCertificate Load(CertificateLoadContext context)
    {
        var provider = context.Provider ?? context.Services?.GetKeyedService<ICertificateProvider>(context.ClientName);
        var providerName = provider?.GetType().FullName ?? nameof(ICertificateProvider);
        var source = $"certificate provider {providerName}";
        if (provider is null)
        {
            throw Failed(context, source, providerName, "is not registered in the service provider under the client's name");
        }

        var timeout = context.Options.ProviderTimeout;
        ClientCertificateBundle? bundle;
        using (var cancellation = new CancellationTokenSource(timeout))
        {
            var providerContext = new CertificateProviderContext(context.ClientName, context.Options);
            // Not Task.Run(..., token): under a starved thread pool that would cancel the call before the provider ever
            // runs; the provider is always called and sees the token instead.
            var call = Task.Run(async () => await provider.GetCertificateAsync(providerContext, cancellation.Token).ConfigureAwait(false), CancellationToken.None);
            try
            {
                bundle = call.WaitAsync(timeout).GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && cancellation.IsCancellationRequested))
            {
                // The wait and the token's own timer run out at the same moment; whichever came first, the provider is
                // told now (a token source disposed before its timer fired would never cancel).
                cancellation.Cancel();

                // A provider that ignores its token may still answer later; nobody will use that answer, so it is
                // disposed when it arrives.
                _ = call.ContinueWith(
                    static late => LoadedClientCertificate.DisposeAll(late.Result?.Certificates),
                    CancellationToken.None,
                    TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
                throw Failed(context, source, providerName, $"did not return a certificate within {timeout} ({context.Key("ProviderTimeout")})");
            }
            catch (Exception ex) when (ex is not ClientCertificateException)
            {
                // The provider's message is not copied: it may quote a secret (a connection string, a token).
                throw Failed(context, source, providerName, $"threw {ex.GetType().FullName}");
            }
        }

        if (bundle is null)
        {
            throw Failed(context, source, providerName, "returned null");
        }

        var certificates = bundle.Certificates;
        if (certificates.Count == 0 || certificates.Any(c => c is null))
        {
            LoadedClientCertificate.DisposeAll(certificates);
            throw Failed(context, source, providerName, certificates.Count == 0 ? "returned no certificate" : "returned a null certificate in its bundle");
        }

        var owned = new X509Certificate2Collection();
        try
        {
            var withKey = certificates.Where(c => c.HasPrivateKey).ToList();
            var leaf = CertificateCandidates.Choose(context, source, providerName, "its client certificates", withKey.Count == 0 ? certificates : withKey);
            owned.Add(leaf);
            foreach (var certificate in certificates)
            {
                if (!certificate.HasPrivateKey)
                {
                    owned.Add(certificate);
                }
            }
        }
        catch
        {
            LoadedClientCertificate.DisposeAll(certificates);
            throw;
        }

        foreach (var certificate in certificates)
        {
            if (!owned.Cast<X509Certificate2>().Any(o => ReferenceEquals(o, certificate)))
            {
                certificate.Dispose();
            }
        }

        return LoadedClientCertificate.Create(context, source, owned[0], owned);
    }

    private static ClientCertificateException Failed(CertificateLoadContext context, string source, string providerName, string what) =>
        new(
            context.ClientName,
            ClientCertificateFailureReason.CertificateProviderFailed,
            $"{context.Prefix}: the {source} {what}. Check the provider (its own logs say why) and what it is registered with (AddCertificateProvider).",
            providerName);
}
