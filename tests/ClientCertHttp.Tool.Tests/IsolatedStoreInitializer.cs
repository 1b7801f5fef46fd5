using System.Runtime.CompilerServices;
using ClientCertHttp.Testing;
using ClientCertHttp.TestUtilities;

namespace ClientCertHttp.Tool.Tests;

internal static class IsolatedStoreInitializer
{
    // HOME is read once per process: isolate it before any store is touched. The tool processes inherit it, so a
    // certificate added to this process's CurrentUser\My is what 'clientcert inspect store:My/CurrentUser/…' finds.
#pragma warning disable CA2255 // A module initializer is exactly what is needed here: HOME is read once per process.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize() => IsolatedUserStore.Initialize();
}
