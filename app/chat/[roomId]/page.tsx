import { RoomView } from "@/components/chat/room-view";

export default async function RoomPage({ params }: { params: Promise<{ roomId: string }> }) {
  const { roomId } = await params;
  const id = decodeURIComponent(roomId);
  return <RoomView key={id} roomId={id} />;
}
