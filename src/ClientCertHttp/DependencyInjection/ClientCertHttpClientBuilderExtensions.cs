using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using ClientCertHttp;
using ClientCertHttp.Certificates;
using ClientCertHttp.DependencyInjection;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Handler;
using ClientCertHttp.Identities;
using ClientCertHttp.Resilience;
using ClientCertHttp.Trust;
using ClientCertHttp.Warmup;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Extension methods that add a client certificate (mutual TLS) to an existing <see cref="IHttpClientBuilder"/>.
/// </summary>
public static class ClientCertHttpClientBuilderExtensions
{
    /// <summary>
    /// Makes the client present a client certificate, configured in code, on every TLS connection.
    /// </summary>
    /// <param name="builder">The builder of the HTTP client, for example from <c>AddHttpClient</c>.</param>
    /// <param name="configure">Configures the client's <see cref="ClientCertHttpOptions"/>.</param>
    /// <returns>The same <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// <para>
    /// The client's primary handler becomes a fresh <see cref="System.Net.Http.SocketsHttpHandler"/> each time the
    /// factory builds one; its <see cref="System.Net.Security.SslClientAuthenticationOptions.ClientCertificateContext"/>
    /// is built once per loaded certificate, so the intermediates are sent on every connection, after every handler
    /// rotation.
    /// </para>
    /// <para>
    /// The options are validated and the certificate is loaded when the host starts (<c>ValidateOnStart</c>); every
    /// problem is a <see cref="ClientCertificateException"/>. Without a host, resolve
    /// <see cref="IStartupValidator"/> and call <see cref="IStartupValidator.Validate"/>.
    /// </para>
    /// </remarks>
    public static IHttpClientBuilder AddClientCertificate(this IHttpClientBuilder builder, Action<ClientCertHttpOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        return AddClientCertificateCore(builder, configuration: null, configure);
    }

    /// <summary>
    /// Makes the client present a client certificate, bound from a configuration section, on every TLS connection.
    /// </summary>
    /// <param name="builder">The builder of the HTTP client, for example from <c>AddHttpClient</c>.</param>
    /// <param name="configuration">
    /// The section to bind, shaped as <c>{ "BaseAddress": …, "Certificate": { "Path": …, "Password": … }, "ServerTrust": { … } }</c>.
    /// Keys that are not settings are reported as errors at startup.
    /// </param>
    /// <returns>The same <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configuration"/> is <see langword="null"/>.</exception>
    /// <remarks>The options follow configuration reloads. See <see cref="AddClientCertificate(IHttpClientBuilder, Action{ClientCertHttpOptions})"/> for the handler and validation behaviour.</remarks>
    public static IHttpClientBuilder AddClientCertificate(this IHttpClientBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        return AddClientCertificateCore(builder, configuration, configure: null);
    }

    /// <summary>
    /// Makes the client get its certificate from a custom <see cref="ICertificateProvider"/> of type
    /// <typeparamref name="TProvider"/>, created by the service provider (its constructor may take services).
    /// </summary>
    /// <typeparam name="TProvider">The provider type, registered as a singleton keyed by the client's name.</typeparam>
    /// <param name="builder">The builder of the HTTP client.</param>
    /// <returns>The same <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// <para>
    /// The provider is the client's certificate source: configuring another one (for example
    /// <see cref="ClientCertificateOptions.Path"/>), or a second provider, is a startup error. The rest of the client's
    /// options (<c>BaseAddress</c>, <c>ServerTrust</c>, <see cref="ClientCertificateOptions.ProviderTimeout"/>) still
    /// come from <c>AddClientCertHttpClient</c> or <c>AddClientCertificate</c>; calling this method alone also adds the
    /// client certificate to the client.
    /// </para>
    /// <para>The provider is called when the host starts; see <see cref="ICertificateProvider"/>.</para>
    /// </remarks>
    public static IHttpClientBuilder AddCertificateProvider<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TProvider>(this IHttpClientBuilder builder)
        where TProvider : class, ICertificateProvider
    {
        ArgumentNullException.ThrowIfNull(builder);
        return AddCertificateProviderCore(builder, ServiceDescriptor.KeyedSingleton<ICertificateProvider, TProvider>(builder.Name));
    }

    /// <summary>
    /// Makes the client get its certificate from the given <see cref="ICertificateProvider"/> instance.
    /// </summary>
    /// <param name="builder">The builder of the HTTP client.</param>
    /// <param name="provider">The provider; it is not disposed by the container.</param>
    /// <returns>The same <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="provider"/> is <see langword="null"/>.</exception>
    /// <remarks>See <see cref="AddCertificateProvider{TProvider}(IHttpClientBuilder)"/>.</remarks>
    public static IHttpClientBuilder AddCertificateProvider(this IHttpClientBuilder builder, ICertificateProvider provider)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(provider);
        return AddCertificateProviderCore(builder, ServiceDescriptor.KeyedSingleton(builder.Name, provider));
    }

    /// <summary>
    /// Makes the client get its certificate from an <see cref="ICertificateProvider"/> created by
    /// <paramref name="factory"/> the first time it is needed.
    /// </summary>
    /// <param name="builder">The builder of the HTTP client.</param>
    /// <param name="factory">Creates the provider from the application's services.</param>
    /// <returns>The same <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="factory"/> is <see langword="null"/>.</exception>
    /// <remarks>See <see cref="AddCertificateProvider{TProvider}(IHttpClientBuilder)"/>.</remarks>
    public static IHttpClientBuilder AddCertificateProvider(this IHttpClientBuilder builder, Func<IServiceProvider, ICertificateProvider> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        return AddCertificateProviderCore(builder, ServiceDescriptor.KeyedSingleton<ICertificateProvider>(builder.Name, (serviceProvider, _) => factory(serviceProvider)));
    }

    /// <summary>
    /// Makes the client a per-identity client whose identities' certificates come from an
    /// <see cref="IClientCertificateIdentityProvider"/> of type <typeparamref name="TProvider"/>, created by the service
    /// provider.
    /// </summary>
    /// <typeparam name="TProvider">The provider type, registered as a singleton keyed by the client's name.</typeparam>
    /// <param name="builder">The builder of the HTTP client.</param>
    /// <returns>The same <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// <para>
    /// A request names its identity with
    /// <see cref="ClientCertificateIdentityRequestExtensions.SetClientCertificateIdentity(HttpRequestMessage, string)"/>
    /// or goes through <see cref="IClientCertHttpClientFactory.CreateClient(string, string)"/>. Identities in
    /// <c>Identities:Certificates</c> and <c>Identities:Directory</c> are looked up first; the provider is asked for
    /// the others. The client's own <see cref="ClientCertHttpOptions.Certificate"/> becomes optional.
    /// </para>
    /// <para>Calling this method alone also adds the client certificate machinery to the client.</para>
    /// </remarks>
    public static IHttpClientBuilder AddClientCertificateIdentityProvider<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TProvider>(this IHttpClientBuilder builder)
        where TProvider : class, IClientCertificateIdentityProvider
    {
        ArgumentNullException.ThrowIfNull(builder);
        return AddIdentityProviderCore(builder, ServiceDescriptor.KeyedSingleton<IClientCertificateIdentityProvider, TProvider>(builder.Name));
    }

    /// <summary>
    /// Makes the client a per-identity client whose identities' certificates come from the given
    /// <see cref="IClientCertificateIdentityProvider"/> instance.
    /// </summary>
    /// <param name="builder">The builder of the HTTP client.</param>
    /// <param name="provider">The provider; it is not disposed by the container.</param>
    /// <returns>The same <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="provider"/> is <see langword="null"/>.</exception>
    /// <remarks>See <see cref="AddClientCertificateIdentityProvider{TProvider}(IHttpClientBuilder)"/>.</remarks>
    public static IHttpClientBuilder AddClientCertificateIdentityProvider(this IHttpClientBuilder builder, IClientCertificateIdentityProvider provider)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(provider);
        return AddIdentityProviderCore(builder, ServiceDescriptor.KeyedSingleton(builder.Name, provider));
    }

    /// <summary>
    /// Makes the client a per-identity client whose identities' certificates come from an
    /// <see cref="IClientCertificateIdentityProvider"/> created by <paramref name="factory"/> the first time it is needed.
    /// </summary>
    /// <param name="builder">The builder of the HTTP client.</param>
    /// <param name="factory">Creates the provider from the application's services.</param>
    /// <returns>The same <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="factory"/> is <see langword="null"/>.</exception>
    /// <remarks>See <see cref="AddClientCertificateIdentityProvider{TProvider}(IHttpClientBuilder)"/>.</remarks>
    public static IHttpClientBuilder AddClientCertificateIdentityProvider(this IHttpClientBuilder builder, Func<IServiceProvider, IClientCertificateIdentityProvider> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        return AddIdentityProviderCore(builder, ServiceDescriptor.KeyedSingleton<IClientCertificateIdentityProvider>(builder.Name, (serviceProvider, _) => factory(serviceProvider)));
    }

    private static IHttpClientBuilder AddIdentityProviderCore(IHttpClientBuilder builder, ServiceDescriptor descriptor)
    {
        AddClientCertificateCore(builder, configuration: null, configure: null);
        AddCoreServices(builder.Services).AddIdentityProvider(builder.Name);
        builder.Services.Add(descriptor);
        return builder;
    }

    private static IHttpClientBuilder AddCertificateProviderCore(IHttpClientBuilder builder, ServiceDescriptor descriptor)
    {
        AddClientCertificateCore(builder, configuration: null, configure: null);
        AddCoreServices(builder.Services).AddProvider(builder.Name);
        builder.Services.Add(descriptor);
        return builder;
    }

    /// <summary>
    /// Adds a rule of your own about the server's certificate, created from the service provider (so it can take
    /// dependencies) once per loaded options of the client.
    /// </summary>
    /// <typeparam name="TValidator">The validator type; constructed with <see cref="ActivatorUtilities"/>, so its constructor may take registered services.</typeparam>
    /// <param name="builder">The builder of a client configured with <c>AddClientCertHttpClient</c> or <c>AddClientCertificate</c>.</param>
    /// <returns>The same <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// Validators run in registration order after the built-in checks, and by default only for certificates the
    /// built-in checks accepted: they can add restrictions, not remove them (see
    /// <see cref="ServerTrustOptions.ValidatorsReplaceBuiltInVerdict"/>). The instance is shared by every handshake of the
    /// client and must be thread-safe.
    /// </remarks>
    public static IHttpClientBuilder AddServerCertificateValidator<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TValidator>(this IHttpClientBuilder builder)
        where TValidator : class, IServerCertificateValidator
    {
        ArgumentNullException.ThrowIfNull(builder);
        return AddServerCertificateValidatorCore(builder, serviceProvider => serviceProvider.GetService<TValidator>() is { } registered
            ? (registered, false)
            : (ActivatorUtilities.CreateInstance<TValidator>(serviceProvider), true));
    }

    /// <summary>
    /// Adds a rule of your own about the server's certificate, given as an instance.
    /// </summary>
    /// <param name="builder">The builder of a client configured with <c>AddClientCertHttpClient</c> or <c>AddClientCertificate</c>.</param>
    /// <param name="validator">The validator; it must be thread-safe.</param>
    /// <returns>The same <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="validator"/> is <see langword="null"/>.</exception>
    /// <remarks>See <see cref="AddServerCertificateValidator{TValidator}(IHttpClientBuilder)"/> for the order and the rules.</remarks>
    public static IHttpClientBuilder AddServerCertificateValidator(this IHttpClientBuilder builder, IServerCertificateValidator validator)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(validator);
        return AddServerCertificateValidatorCore(builder, _ => (validator, false));
    }

    /// <summary>
    /// Adds a rule of your own about the server's certificate, given as a delegate.
    /// </summary>
    /// <param name="builder">The builder of a client configured with <c>AddClientCertHttpClient</c> or <c>AddClientCertificate</c>.</param>
    /// <param name="validate">
    /// Decides about the certificate: return <see cref="ServerCertificateValidationResult.Accept"/> or
    /// <see cref="ServerCertificateValidationResult.Reject"/>. Called concurrently; it must be thread-safe and fast.
    /// </param>
    /// <returns>The same <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="validate"/> is <see langword="null"/>.</exception>
    /// <remarks>See <see cref="AddServerCertificateValidator{TValidator}(IHttpClientBuilder)"/> for the order and the rules.</remarks>
    public static IHttpClientBuilder AddServerCertificateValidator(
        this IHttpClientBuilder builder,
        Func<ServerCertificateValidationContext, ServerCertificateValidationResult> validate)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(validate);
        var validator = new DelegateServerCertificateValidator(validate);
        return AddServerCertificateValidatorCore(builder, _ => (validator, false));
    }

    private static IHttpClientBuilder AddServerCertificateValidatorCore(IHttpClientBuilder builder, Func<IServiceProvider, (IServerCertificateValidator Validator, bool Created)> factory)
    {
        builder.Services.Configure<ServerCertificateValidatorRegistrations>(builder.Name, registrations => registrations.Factories.Add(factory));
        return builder;
    }

    internal static IHttpClientBuilder AddClientCertificateCore(
        IHttpClientBuilder builder,
        IConfiguration? configuration,
        Action<ClientCertHttpOptions>? configure)
    {
        var services = builder.Services;
        var name = builder.Name;
        var registry = AddCoreServices(services);

        var options = services.AddOptions<ClientCertHttpOptions>(name);
        if (configuration is not null)
        {
            services.AddSingleton<IConfigureOptions<ClientCertHttpOptions>>(new ConfigurationBinding(name, configuration));
            services.AddSingleton<IOptionsChangeTokenSource<ClientCertHttpOptions>>(
                new ConfigurationChangeTokenSource<ClientCertHttpOptions>(name, configuration));
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (registry.Add(name))
        {
            // The client's startup step: checks the options, loads the certificate once and builds the pipeline once.
            services.AddOptions<ClientCertHttpStartup>(name).ValidateOnStart();
            services.AddKeyedSingleton(name, (serviceProvider, _) => CreateSource(serviceProvider, name));
            services.AddKeyedSingleton(name, (serviceProvider, _) => CreateIdentityPool(serviceProvider, name));

            builder.UseSocketsHttpHandler();
            builder.ConfigureHttpClient((serviceProvider, client) =>
            {
                // The source's options are the last good ones: a broken configuration reload does not change the client.
                var baseAddress = serviceProvider.GetRequiredKeyedService<ClientCertificateSource>(name).Options.BaseAddress;
                if (baseAddress is not null)
                {
                    client.BaseAddress = baseAddress;
                }
            });

            // Outside the pipeline: sees the final outcome of each request, after every retry.
            builder.AddHttpMessageHandler(serviceProvider => new RetryOutcomeHandler(
                serviceProvider.GetRequiredKeyedService<ClientCertificateSource>(name),
                serviceProvider.GetRequiredKeyedService<ClientCertificateIdentityPool>(name),
                serviceProvider.GetRequiredService<FailureDiagnoser>(),
                serviceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(ClientCertHttp.Diagnostics.Log.CategoryName),
                serviceProvider.GetRequiredService<TimeProvider>()));
            builder.AddResilienceHandler(
                ClientCertHttpResiliencePipeline.PipelineName,
                (pipeline, context) => ClientCertHttpResiliencePipeline.Configure(pipeline, context, name));

            // Inside the pipeline: replays a failed first attempt, which the handler above sent past the pipeline.
            builder.AddHttpMessageHandler(static () => new FirstAttemptReplayHandler());
        }

        return builder;
    }

    private static ClientCertHttpClientRegistry AddCoreServices(IServiceCollection services)
    {
        // The registry is found again on every call, as Microsoft.Extensions.Http does for its typed-client registry,
        // so that registration stays idempotent and needs no service provider.
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(ClientCertHttpClientRegistry) && descriptor.ImplementationInstance is ClientCertHttpClientRegistry existing)
            {
                return existing;
            }
        }

        var registry = new ClientCertHttpClientRegistry();
        services.AddSingleton(registry);
        services.AddLogging();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(serviceProvider => new ClientCertHttpInstruments(
            serviceProvider.GetRequiredService<IMeterFactory>(),
            serviceProvider.GetRequiredService<TimeProvider>(),
            () => serviceProvider.GetRequiredService<ClientCertificateSources>().Started()));
        services.TryAddSingleton(serviceProvider => new ClientCertificateSources(registry, serviceProvider));
        services.TryAddSingleton<IClientCertificateReloader, ClientCertificateReloader>();
        services.TryAddSingleton<ClientCertHttp.Diagnostics.IClientCertificateDiagnostics, ClientCertificateDiagnostics>();
        services.TryAddSingleton<FailureDiagnoser>();
        services.TryAddSingleton<IClientCertHttpClientFactory, ClientCertHttpClientFactory>();
        services.TryAddSingleton(serviceProvider => new IdentityInstruments(
            serviceProvider.GetRequiredService<IMeterFactory>(),
            () => serviceProvider.GetRequiredService<ClientCertificateSources>().StartedIdentities(),
            clientName => serviceProvider.GetRequiredKeyedService<ClientCertificateSource>(clientName).Options.Identities.IncludeIdentityInMetrics));
        services.TryAddSingleton<IClientCertificateHandlerFactory, ClientCertificateHandlerFactory>();
        services.TryAddSingleton<ICertificateRejectionReloader, CertificateRejectionReloader>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClientCertHttpStartup>, ClientCertHttpStartupValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHttpMessageHandlerBuilderFilter, ClientCertificateHandlerFilter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ConnectionWarmupService>());
        return registry;
    }

    /// <summary>Creates a client's certificate source, with everything it alone uses.</summary>
    private static ClientCertificateSource CreateSource(IServiceProvider services, string name)
    {
        var registry = services.GetRequiredService<ClientCertHttpClientRegistry>();
        var timeProvider = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(ClientCertHttp.Diagnostics.Log.CategoryName);

        // The rule that fences DangerousAcceptAnyServerCertificate: the host's environment, or the variables the
        // hosts read, defaulting (as they do) to Production.
        var environmentName = services.GetService<IHostEnvironment>()?.EnvironmentName
            ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? Environments.Production;
        var isDevelopment = string.Equals(environmentName, Environments.Development, StringComparison.OrdinalIgnoreCase);

        // Validators are created once per client, not per reload; the ones created here are disposed with the source.
        var validators = services.GetRequiredService<IOptionsMonitor<ServerCertificateValidatorRegistrations>>().Get(name).Factories
            .Select(factory => factory(services))
            .ToArray();
        var providerCount = registry.ProviderCount(name);
        var instruments = services.GetRequiredService<ClientCertHttpInstruments>();
        var loader = new ClientTlsStateLoader(name, isDevelopment, environmentName, [.. validators.Select(v => v.Validator)], timeProvider, logger, services, instruments);
        return new ClientCertificateSource(
            name,
            services.GetRequiredService<IOptionsMonitor<ClientCertHttpOptions>>(),
            loader,
            providerCount,
            providerCount > 0 ? services.GetKeyedService<ICertificateProvider>(name) : null,
            [.. validators.Where(v => v.Created).Select(v => v.Validator).OfType<IDisposable>()],
            timeProvider,
            logger,
            instruments,
            registry.IdentityProviderCount(name));
    }

    /// <summary>Creates a client's identity pool; its identities' sources share the client's loader, trust and validators.</summary>
    private static ClientCertificateIdentityPool CreateIdentityPool(IServiceProvider services, string name)
    {
        var client = services.GetRequiredKeyedService<ClientCertificateSource>(name);
        var optionsMonitor = services.GetRequiredService<IOptionsMonitor<ClientCertHttpOptions>>();
        var timeProvider = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(ClientCertHttp.Diagnostics.Log.CategoryName);
        var instruments = services.GetRequiredService<ClientCertHttpInstruments>();
        return new ClientCertificateIdentityPool(
            client,
            optionsMonitor,
            services.GetRequiredService<ClientCertHttpClientRegistry>().IdentityProviderCount(name) > 0 ? services.GetKeyedService<IClientCertificateIdentityProvider>(name) : null,
            (identityOptions, provider) => new ClientCertificateSource(
                name,
                identityOptions,
                client.Loader.ForIdentity(provider),
                provider is null ? 0 : 1,
                provider,
                [],
                timeProvider,
                logger,
                instruments),
            timeProvider,
            logger,
            services.GetRequiredService<IdentityInstruments>());
    }
}
