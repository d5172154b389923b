using Akka.Actor;
using Akka.Configuration;
using Zvonim.Web.Hosting;

namespace Zvonim.Bench.Micro;

/// <summary>An actor system for in-process benchmarks, with the server's own HOCON.</summary>
public static class BenchActors
{
    public static ActorSystem Create(string name) =>
        ActorSystem.Create(name, ConfigurationFactory.ParseString(File.ReadAllText(ActorHosting.HoconFile)));
}
